import { Command } from '@nestjs/cqrs';
import type { PostalAddress } from '../../domain/tenant';
import type { TenancyPrincipal } from '../access';
import type { TenantView } from '../views';

export interface CreateTenantInput {
  name: string;
  legalName: string;
  country: string;
  currency: string;
  billingEmail: string;
  parentId?: string;
  kind?: 'reseller' | 'organization';
  address?: PostalAddress;
  vatId?: string;
  buyerReference?: string;
  timeZone?: string;
}

export class CreateTenantCommand extends Command<TenantView> {
  constructor(readonly principal: TenancyPrincipal, readonly input: CreateTenantInput) {
    super();
  }
}
