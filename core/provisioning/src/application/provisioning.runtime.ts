import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { bullmqOptions, CLOCK, Clock, TransactionRunner, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { PluginRegistry } from '@werkbank/plugin-host';
import { DelayedError, Job, Worker } from 'bullmq';
import { isTransitional, nextOperation, OPERATION_STATES } from '../domain/instance-state';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';
import { PROVISIONING_CONFIG, ProvisioningConfig } from '../provisioning.config';
import { InstanceLifecycle, PendingStep } from './instance-lifecycle';
import { ProvisioningJob, ProvisioningQueues, provisioningQueueName } from './provisioning-queues';
import { describeError, retryDelay, StepExecutor } from './step-executor';

const LIVE_JOB_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * The worker side of provisioning: one BullMQ worker per plugin queue, and the
 * reconciliation loop that re-queues lost work and repairs drift at the services.
 */
@Injectable()
export class ProvisioningRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProvisioningRuntime');
  private readonly workers: Worker<ProvisioningJob>[] = [];
  private timer?: NodeJS.Timeout;
  private reconciling?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly executor: StepExecutor,
    private readonly plugins: PluginRegistry,
    private readonly queues: ProvisioningQueues,
    private readonly instances: ServiceInstanceRepository,
    private readonly lifecycle: InstanceLifecycle,
    private readonly tx: TransactionRunner,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(PROVISIONING_CONFIG) private readonly provisioning: ProvisioningConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    for (const plugin of this.plugins.list()) {
      if (!plugin.plugin.provisioner) continue;
      const worker = new Worker<ProvisioningJob>(provisioningQueueName(plugin.id), (job, token) => this.process(job, token), {
        ...bullmqOptions(this.config),
        concurrency: this.provisioning.concurrency,
        lockDuration: this.provisioning.jobLockMs,
        stalledInterval: Math.max(250, Math.floor(this.provisioning.jobLockMs / 2)),
        maxStalledCount: 100,
        settings: { backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) => retryDelay(attemptsMade, this.provisioning.retryDelayMs, error) },
      });
      worker.on('error', (error) => this.logger.warn({ msg: 'provisioning worker error', plugin: plugin.id, error: describeError(error) }));
      this.workers.push(worker);
    }
    this.schedule();
  }

  private async process(job: Job<ProvisioningJob>, token?: string): Promise<string> {
    const attempt = job.attemptsMade + 1;
    const lastAttempt = attempt >= (job.opts.attempts ?? 1);
    const outcome = await this.executor.execute(job.data, attempt, lastAttempt);
    if (outcome === 'busy') {
      // Another step of this instance runs right now: come back shortly without using up an attempt.
      await job.moveToDelayed(Date.now() + 250, token);
      throw new DelayedError();
    }
    return outcome;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reconciling = this.reconcile()
        .then(() => undefined, (error: unknown) => this.logger.warn({ msg: 'reconciliation failed; next round retries', error: describeError(error) }))
        .finally(() => this.schedule());
    }, this.provisioning.reconcileIntervalMs);
  }

  /**
   * One round: (1) instances stuck in a transitional state whose job is gone (Redis lost it,
   * the enqueue after commit never happened) get it queued again under a new job id but the
   * same request key; (2) settled instances are checked at the service and repaired.
   */
  async reconcile(): Promise<{ requeued: number; repaired: number }> {
    const now = this.clock.now();
    let requeued = 0;
    let repaired = 0;
    const grace = new Date(now.getTime() - this.provisioning.reconcileIntervalMs);
    for (const candidate of await this.instances.unsettled(this.tx.reader(), grace, 100)) {
      if (this.stopped) break;
      const loaded = this.plugins.get(candidate.pluginId);
      if (!loaded?.plugin.provisioner) continue;
      const op = nextOperation(candidate.state, candidate.desiredState);
      if (isTransitional(candidate.state) && op && OPERATION_STATES[op].running === candidate.state) {
        const job = { instanceId: candidate.id, operation: op, generation: candidate.generation };
        const existing = await this.queues.find(candidate.pluginId, job, candidate.epoch);
        if (existing && LIVE_JOB_STATES.has(await existing.getState())) continue;
        const step = await this.tx.run(async (tx): Promise<PendingStep | null> => {
          const instance = await this.instances.lockById(tx, candidate.id);
          if (!instance || instance.generation !== candidate.generation || instance.state !== candidate.state) return null;
          instance.epoch += 1;
          await this.lifecycle.recordRetry(tx, instance, 'its job was lost; queued again by the reconciliation loop', 0);
          return { pluginId: instance.pluginId, job, epoch: instance.epoch };
        });
        if (step) {
          await this.lifecycle.dispatch([step]);
          requeued += 1;
        }
      } else {
        const step = await this.tx.run(async (tx) => {
          const instance = await this.instances.lockById(tx, candidate.id);
          return instance ? this.lifecycle.steer(tx, instance, instance.desiredState, 'reconciliation: moving towards the desired state') : null;
        });
        if (step) {
          await this.lifecycle.dispatch([step]);
          requeued += 1;
        }
      }
    }
    repaired = await this.repairDrift(now);
    return { requeued, repaired };
  }

  private async repairDrift(now: Date): Promise<number> {
    let repaired = 0;
    const before = new Date(now.getTime() - this.provisioning.inspectIntervalMs);
    for (const candidate of await this.instances.dueForInspection(this.tx.reader(), before, 50)) {
      if (this.stopped) break;
      const loaded = this.plugins.get(candidate.pluginId);
      const inspect = loaded?.status === 'ready' ? loaded.plugin.provisioner?.inspect : undefined;
      await this.tx.run((tx) => this.instances.markInspected(tx, candidate.id, now));
      if (!inspect || !loaded) continue;
      let actual: Awaited<ReturnType<NonNullable<typeof inspect>>>;
      try {
        const tenant = { id: candidate.tenantId, name: '', slug: `t-${candidate.tenantId.replace(/-/g, '').slice(-12)}` };
        actual = await inspect.call(loaded.plugin.provisioner, this.plugins.context(candidate.pluginId, AbortSignal.timeout(this.provisioning.stepTimeoutMs)), {
          instanceId: candidate.id, tenant, mode: candidate.mode, externalId: candidate.externalId ?? '', metadata: candidate.metadata as Record<string, unknown>,
        });
      } catch (error) {
        this.logger.warn({ msg: 'drift check failed', instanceId: candidate.id, error: describeError(error) });
        continue;
      }
      if (actual.state === candidate.state) continue;
      const step = await this.tx.run(async (tx): Promise<PendingStep | null> => {
        const instance = await this.instances.lockById(tx, candidate.id);
        if (!instance || instance.state !== candidate.state || instance.generation !== candidate.generation) return null;
        const op = actual.state === 'missing' ? 'provision' : instance.desiredState === 'active' ? 'resume' : 'suspend';
        instance.generation += 1;
        instance.epoch = 0;
        const reason = actual.state === 'missing'
          ? 'drift: the resource is missing at the service; provisioning it again'
          : `drift: the service reports it ${actual.state}; restoring ${instance.desiredState}`;
        await this.lifecycle.transition(tx, instance, OPERATION_STATES[op].running, { reason });
        return { pluginId: instance.pluginId, job: { instanceId: instance.id, operation: op, generation: instance.generation }, epoch: 0 };
      });
      if (step) {
        await this.lifecycle.dispatch([step]);
        repaired += 1;
      }
    }
    return repaired;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reconciling;
    await Promise.all(this.workers.map((w) => w.close()));
  }
}
