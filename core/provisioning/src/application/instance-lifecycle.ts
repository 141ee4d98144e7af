import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, OutboxWriter, Tx } from '@werkbank/kernel';
import { canTransition, DesiredState, InstanceState, nextOperation, OPERATION_STATES } from '../domain/instance-state';
import type { ServiceInstanceEntity } from '../infrastructure/persistence/service-instance.entity';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';
import { ProvisioningJob, ProvisioningQueues } from './provisioning-queues';

/** A step decided inside a transaction, to be queued once it has committed. */
export interface PendingStep {
  pluginId: string;
  job: ProvisioningJob;
  epoch: number;
}

/**
 * The one place that moves instances between states. Callers hold the instance row lock
 * (`lockById`) in `tx`; steps are queued by `dispatch` after the commit (a lost enqueue is
 * repaired by the reconciliation loop).
 */
@Injectable()
export class InstanceLifecycle {
  constructor(
    private readonly instances: ServiceInstanceRepository,
    private readonly outbox: OutboxWriter,
    private readonly queues: ProvisioningQueues,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async transition(tx: Tx, instance: ServiceInstanceEntity, to: InstanceState, details: { reason?: string; error?: string; attempt?: number } = {}): Promise<void> {
    const from = instance.state;
    if (from !== to && !canTransition(from, to)) throw new Error(`invalid transition ${from} -> ${to}`);
    const now = this.clock.now();
    instance.state = to;
    instance.updatedAt = now;
    if (to === 'failed') instance.failureReason = details.error ?? details.reason ?? 'failed';
    else if (from === 'failed') instance.failureReason = null;
    await this.instances.save(tx, instance);
    await this.instances.addTransition(tx, { instanceId: instance.id, from, to, at: now, reason: details.reason, error: details.error, attempt: details.attempt });
    if (from !== to && !['provisioning', 'suspending', 'resuming', 'deprovisioning'].includes(to)) {
      await this.outbox.append(tx, {
        type: `provisioning.instance_${to}`,
        tenantId: instance.tenantId,
        payload: { instanceId: instance.id, tenantId: instance.tenantId, pluginId: instance.pluginId, state: to, ...(to === 'failed' ? { reason: instance.failureReason } : {}) },
      });
    }
  }

  /** Records a failed attempt that will be retried (no state change). */
  async recordRetry(tx: Tx, instance: ServiceInstanceEntity, error: string, attempt: number): Promise<void> {
    await this.instances.addTransition(tx, { instanceId: instance.id, from: instance.state, to: instance.state, at: this.clock.now(), reason: 'retrying', error, attempt });
  }

  /**
   * Sets what the owner wants and decides the next step. Returns the step to queue, or
   * null when the instance is already there (or a running step will get it there first).
   */
  async steer(tx: Tx, instance: ServiceInstanceEntity, desired: DesiredState, reason: string): Promise<PendingStep | null> {
    instance.desiredState = desired;
    const op = nextOperation(instance.state, desired);
    if (!op) {
      instance.updatedAt = this.clock.now();
      await this.instances.save(tx, instance);
      return null;
    }
    const running = OPERATION_STATES[op].running;
    if (instance.state === running && instance.state !== 'requested') {
      // That step is already under way; its completion steers again.
      await this.instances.save(tx, instance);
      return null;
    }
    instance.generation += 1;
    instance.epoch = 0;
    await this.transition(tx, instance, running, { reason });
    return { pluginId: instance.pluginId, job: { instanceId: instance.id, operation: op, generation: instance.generation }, epoch: 0 };
  }

  /** Queues steps decided in a committed transaction. */
  async dispatch(steps: Array<PendingStep | null>): Promise<void> {
    for (const step of steps) if (step) await this.queues.enqueue(step.pluginId, step.job, step.epoch);
  }
}
