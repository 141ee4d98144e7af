import { Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { InstanceAtService } from './active-instances';

/**
 * Where an ending instance's last usage is collected: provided by metering (which owns collection
 * and depends on provisioning, so provisioning finds it through this token instead of importing it).
 */
export const FINAL_USAGE_COLLECTION = Symbol('FINAL_USAGE_COLLECTION');

/** An instance whose tenant lost access to it, as metering's final collection sees it. */
export interface EndedInstance extends InstanceAtService {
  /** when access ended: the instance's first move to `deprovisioning` (or to `failed`), when the gateway started refusing its key */
  endedAt: Date;
}

export interface FinalUsageCollection {
  /**
   * Collects the instance's usage up to `endedAt` and ends its gauges there. Idempotent (a second
   * call after it completed does nothing); throws a RetryableError when it must be called again.
   */
  collectFinal(instance: EndedInstance): Promise<void>;
}

/** Runs metering's final collection before a deprovision step lets the plugin remove anything. */
@Injectable()
export class FinalUsage {
  private readonly logger = new Logger('Provisioning');
  private collection?: FinalUsageCollection | null;

  constructor(@Optional() private readonly moduleRef?: ModuleRef) {}

  async collect(instance: EndedInstance): Promise<void> {
    const collection = this.find();
    if (!collection) {
      this.logger.warn({ msg: 'the final usage collection cannot run in this process (metering is not loaded)', instanceId: instance.instanceId });
      return;
    }
    await collection.collectFinal(instance);
  }

  private find(): FinalUsageCollection | null {
    if (this.collection === undefined) {
      try {
        this.collection = this.moduleRef?.get<FinalUsageCollection>(FINAL_USAGE_COLLECTION, { strict: false }) ?? null;
      } catch {
        this.collection = null;
      }
    }
    return this.collection;
  }
}
