import { Command, Query } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '@werkbank/tenancy';
import type { UsageEventInput } from '../../domain/usage-event';
import type { UsageItem } from '../../domain/usage-query';
import type { IngestResult } from '../usage-ingestion';
import type { VoidResult } from '../views';

export class RecordUsageCommand extends Command<IngestResult> {
  constructor(readonly principal: TenancyPrincipal, readonly events: UsageEventInput[]) {
    super();
  }
}

export class VoidUsageCommand extends Command<VoidResult> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly idempotencyKeys: string[]) {
    super();
  }
}

export interface TenantUsageParams {
  from?: string;
  to?: string;
  meter?: string;
  groupBy?: string;
  subtree?: boolean;
}

export class GetTenantUsageQuery extends Query<{ items: UsageItem[]; from: string; to: string }> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly params: TenantUsageParams) {
    super();
  }
}
