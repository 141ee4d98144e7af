import { Command } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '../access';
import type { TenantView } from '../views';
import type { CreateTenantInput } from './create-tenant.command';

export type UpdateTenantInput = Partial<Omit<CreateTenantInput, 'parentId' | 'kind'>>;

export class UpdateTenantCommand extends Command<TenantView> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly patch: UpdateTenantInput) {
    super();
  }
}
