import { Command } from '@nestjs/cqrs';
import type { Role } from '../../domain/roles';
import type { TenancyPrincipal } from '../access';
import type { InvitationView } from '../views';

export interface InvitationResult {
  invitation: InvitationView;
}

/**
 * Offers the person with this e-mail a role on a tenant. No membership exists until they accept,
 * and the answer is the same whether or not the address has an account.
 */
export class InviteUserCommand extends Command<InvitationResult> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly email: string, readonly role: Role, readonly displayName?: string) {
    super();
  }
}
