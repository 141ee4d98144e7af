import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { bullmqOptions, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { Job, Queue } from 'bullmq';
import type { Operation } from '../domain/instance-state';
import { PROVISIONING_CONFIG, ProvisioningConfig } from '../provisioning.config';

export interface ProvisioningJob {
  instanceId: string;
  operation: Operation;
  generation: number;
}

/** The backoff strategy the provisioning workers register (exponential, or the plugin's retryAfterMs). */
export const PROVISIONING_BACKOFF = 'werkbank-provisioning';

/** Queue names follow '<pluginId>.<name>' ids: one queue per plugin. */
export function provisioningQueueName(pluginId: string): string {
  return `plugin.${pluginId}.provisioning`;
}

/** One BullMQ job per step and epoch; the same id twice is one job. */
export function provisioningJobId(job: ProvisioningJob, epoch: number): string {
  return `${job.instanceId}.${job.operation}.${job.generation}.${epoch}`;
}

@Injectable()
export class ProvisioningQueues implements OnApplicationShutdown {
  private readonly queues = new Map<string, Queue<ProvisioningJob>>();

  constructor(
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(PROVISIONING_CONFIG) private readonly provisioning: ProvisioningConfig,
  ) {}

  queue(pluginId: string): Queue<ProvisioningJob> {
    let queue = this.queues.get(pluginId);
    if (!queue) {
      queue = new Queue<ProvisioningJob>(provisioningQueueName(pluginId), bullmqOptions(this.config));
      this.queues.set(pluginId, queue);
    }
    return queue;
  }

  async enqueue(pluginId: string, job: ProvisioningJob, epoch: number): Promise<void> {
    await this.queue(pluginId).add(job.operation, job, {
      jobId: provisioningJobId(job, epoch),
      attempts: this.provisioning.maxAttempts,
      backoff: { type: PROVISIONING_BACKOFF, delay: this.provisioning.retryDelayMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
  }

  async find(pluginId: string, job: ProvisioningJob, epoch: number): Promise<Job<ProvisioningJob> | undefined> {
    return this.queue(pluginId).getJob(provisioningJobId(job, epoch));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
