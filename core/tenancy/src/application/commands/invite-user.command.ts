import { Command } from '@nestjs/cqrs';
import type { Role } from '../../domain/roles';
import type { TenancyPrincipal } from '../access';
import type { MembershipView, UserView } from '../views';

export interface InvitationResult {
  user: UserView;
  membership: MembershipView;
  /** set when a new account was created and an invitation token was sent */
  invitationExpiresAt: string | null;
}

/** Gives a user (new or existing, by e-mail) a role on a tenant; new users get an invitation token by e-mail. */
export class InviteUserCommand extends Command<InvitationResult> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly email: string, readonly role: Role, readonly displayName?: string) {
    super();
  }
}
