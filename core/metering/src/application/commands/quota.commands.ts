import { Command, Query } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '@werkbank/tenancy';
import type { TenantEntitlements } from '../entitlements.service';
import type { QuotaView } from '../views';

export interface QuotaLimitsInput {
  hardLimit?: string | number | null;
  softLimit?: string | number | null;
}

export class SetQuotaCommand extends Command<{ quota: QuotaView; created: boolean }> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly meter: string, readonly limits: QuotaLimitsInput) {
    super();
  }
}

export class DeleteQuotaCommand extends Command<void> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly meter: string) {
    super();
  }
}

export class ListQuotasQuery extends Query<QuotaView[]> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string) {
    super();
  }
}

export class GetEntitlementsQuery extends Query<TenantEntitlements> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string) {
    super();
  }
}
