import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, Clock, SECRET_BOX, SecretBox, TransactionRunner, Tx } from '@werkbank/kernel';
import { PluginRegistry } from '@werkbank/plugin-host';
import { Entitlements, InstanceRef, isRetryable, ProvisionResult, RetryableError, ServicePlugin } from '@werkbank/plugin-sdk';
import { TenantDirectory } from '@werkbank/tenancy';
import { DataSource } from 'typeorm';
import { OPERATION_STATES, requestKey } from '../domain/instance-state';
import type { ServiceInstanceEntity } from '../infrastructure/persistence/service-instance.entity';
import { ServiceInstanceRepository } from '../infrastructure/persistence/service-instance.repository';
import { PROVISIONING_CONFIG, ProvisioningConfig } from '../provisioning.config';
import { FinalUsage } from './final-usage';
import { GatewayKeys } from './gateway-keys';
import { InstanceLifecycle, PendingStep } from './instance-lifecycle';
import type { ProvisioningJob } from './provisioning-queues';

export type StepOutcome = 'done' | 'stale' | 'busy' | 'failed' | 'retry';

/** Messages go to the API and the history: bounded, and never an object dump. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 1000 ? `${message.slice(0, 1000)}…` : message;
}

/** Thrown to make BullMQ retry with backoff; carries no secret. */
export class StepRetry extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/** Delay before attempt `attemptsMade + 1`: the plugin's `retryAfterMs` when given, else exponential. */
export function retryDelay(attemptsMade: number, baseMs: number, error?: unknown): number {
  const hinted = error instanceof StepRetry ? error.retryAfterMs : undefined;
  return hinted !== undefined && hinted >= 0 ? hinted : baseMs * 2 ** Math.max(0, attemptsMade - 1);
}

/**
 * Runs one provisioning step for one instance: at most one step per instance at a time
 * (advisory lock), stale steps skipped, results committed with the state change, permanent
 * failures compensated and recorded.
 */
@Injectable()
export class StepExecutor {
  private readonly logger = new Logger('Provisioning');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly instances: ServiceInstanceRepository,
    private readonly lifecycle: InstanceLifecycle,
    private readonly plugins: PluginRegistry,
    private readonly tenants: TenantDirectory,
    private readonly gatewayKeys: GatewayKeys,
    private readonly finalUsage: FinalUsage,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(PROVISIONING_CONFIG) private readonly config: ProvisioningConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** `attempt` is 1-based; `lastAttempt` when BullMQ will not retry after this one. */
  async execute(job: ProvisioningJob, attempt: number, lastAttempt: boolean): Promise<StepOutcome> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [job.instanceId])) as Array<{ locked: boolean }>;
      if (!locked) return 'busy';
      try {
        return await this.run(job, attempt, lastAttempt);
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [job.instanceId]);
      }
    } finally {
      await runner.release();
    }
  }

  private async run(job: ProvisioningJob, attempt: number, lastAttempt: boolean): Promise<StepOutcome> {
    const instance = await this.instances.findById(this.tx.reader(), job.instanceId);
    const { running } = OPERATION_STATES[job.operation];
    if (!instance || instance.generation !== job.generation || instance.state !== running) return 'stale';
    const loaded = this.plugins.get(instance.pluginId);
    const provisioner = loaded?.plugin.provisioner;
    if (!loaded || loaded.status !== 'ready' || !provisioner) {
      const problem = !loaded ? `plugin ${instance.pluginId} is not loaded` : loaded.status !== 'ready' ? `plugin ${instance.pluginId} is not configured` : `plugin ${instance.pluginId} cannot provision`;
      if (!lastAttempt) {
        await this.tx.run((tx) => this.lifecycle.recordRetry(tx, instance, problem, attempt));
        throw new StepRetry(problem);
      }
      await this.failStep(job, problem, attempt);
      return 'failed';
    }
    const tenant = await this.tenants.get(this.tx.reader(), instance.tenantId);
    if (!tenant) return 'stale';
    const info = { id: tenant.id, name: tenant.name, slug: tenant.slug };
    const ref: InstanceRef = { instanceId: instance.id, tenant: info, mode: instance.mode, externalId: instance.externalId ?? '', metadata: instance.metadata as Record<string, unknown> };
    const meta = { requestKey: requestKey(instance.id, job.operation, job.generation), attempt };
    const signal = AbortSignal.timeout(this.config.stepTimeoutMs);
    const ctx = this.plugins.context(instance.pluginId, signal);
    let result: ProvisionResult | undefined;
    try {
      switch (job.operation) {
        case 'provision':
          result = await provisioner.provision(ctx, {
            ...meta, instanceId: instance.id, tenant: info, mode: instance.mode,
            options: instance.options as Record<string, unknown>, entitlements: instance.entitlements as Entitlements,
          });
          break;
        case 'suspend':
          await provisioner.suspend(ctx, ref, meta);
          break;
        case 'resume':
          await provisioner.resume(ctx, ref, meta);
          break;
        case 'deprovision':
          // the last usage is collected (and gauges ended) before the plugin may remove what the collector reads
          await this.finalUsage.collect({
            instanceId: instance.id, tenantId: instance.tenantId, pluginId: instance.pluginId, mode: instance.mode, externalId: ref.externalId,
            metadata: ref.metadata, createdAt: new Date(instance.createdAt),
            endedAt: (await this.instances.endOfUse(this.tx.reader(), instance.id)) ?? this.clock.now(),
          });
          await provisioner.deprovision(ctx, ref, meta);
          break;
      }
    } catch (error) {
      const message = describeError(error);
      if (isRetryable(error) && !lastAttempt) {
        await this.tx.run((tx) => this.lifecycle.recordRetry(tx, instance, message, attempt));
        throw new StepRetry(message, error instanceof RetryableError ? error.options.retryAfterMs : undefined);
      }
      if (job.operation === 'provision') await this.compensate(loaded.plugin, instance, ref, job);
      await this.failStep(job, message, attempt);
      return 'failed';
    }
    const next = await this.tx.run(async (tx) => this.complete(tx, job, result, attempt));
    await this.lifecycle.dispatch([next]);
    return 'done';
  }

  private async complete(tx: Tx, job: ProvisioningJob, result: ProvisionResult | undefined, attempt: number): Promise<PendingStep | null> {
    const instance = await this.instances.lockById(tx, job.instanceId);
    if (!instance) return null;
    if (result) this.storeResult(instance, result);
    if (instance.generation !== job.generation) {
      // Superseded while running (e.g. deleted during provisioning): keep what was created, so the newer step can remove it.
      await this.instances.save(tx, instance);
      return null;
    }
    await this.lifecycle.transition(tx, instance, OPERATION_STATES[job.operation].done, { reason: `${job.operation} completed`, attempt });
    // a removed instance's gateway key stops working with the removal
    if (job.operation === 'deprovision') await this.gatewayKeys.revokeIn(tx, instance.id);
    return this.lifecycle.steer(tx, instance, instance.desiredState, 'continuing towards the desired state');
  }

  private storeResult(instance: ServiceInstanceEntity, result: ProvisionResult): void {
    instance.externalId = result.externalId;
    instance.endpoints = result.endpoints ?? {};
    instance.metadata = result.metadata ?? {};
    if (result.credentials && Object.keys(result.credentials).length > 0) {
      instance.credentialsSealed = this.secrets.seal(JSON.stringify(result.credentials), instance.id);
      instance.credentialsRevealedAt = null;
    }
  }

  /** Undoes a provision that failed for good: whatever it may have created is removed. */
  private async compensate(plugin: ServicePlugin, instance: ServiceInstanceEntity, ref: InstanceRef, job: ProvisioningJob): Promise<void> {
    try {
      const ctx = this.plugins.context(instance.pluginId, AbortSignal.timeout(this.config.stepTimeoutMs));
      await plugin.provisioner!.deprovision(ctx, ref, { requestKey: `${instance.id}:compensate:${job.generation}`, attempt: 1 });
    } catch (error) {
      this.logger.warn({ msg: 'compensation after a failed provision did not complete; the reconciliation of a later deprovision will retry it', instanceId: instance.id, error: describeError(error) });
    }
  }

  private async failStep(job: ProvisioningJob, message: string, attempt: number): Promise<void> {
    await this.tx.run(async (tx) => {
      const instance = await this.instances.lockById(tx, job.instanceId);
      if (!instance || instance.generation !== job.generation) return;
      await this.lifecycle.transition(tx, instance, 'failed', { error: message, reason: `${job.operation} failed`, attempt });
    });
    this.logger.warn({ msg: 'provisioning step failed', instanceId: job.instanceId, operation: job.operation, attempt, error: message });
  }

  now(): Date {
    return this.clock.now();
  }
}
