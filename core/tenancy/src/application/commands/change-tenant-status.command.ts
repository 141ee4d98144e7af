import { Command } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '../access';
import type { TenantView } from '../views';

export type TenantStatusChange = 'suspend' | 'resume' | 'close';

/** Suspend, resume or close a tenant; always with a reason in the audit trail. */
export class ChangeTenantStatusCommand extends Command<TenantView> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly change: TenantStatusChange, readonly reason?: string) {
    super();
  }
}
