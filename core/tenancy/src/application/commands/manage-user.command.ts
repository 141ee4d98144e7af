import { Command } from '@nestjs/cqrs';
import type { TenancyPrincipal } from '../access';
import type { UserView } from '../views';

/** Deactivation ends all sessions and blocks login; nothing is deleted. */
export class SetUserActiveCommand extends Command<UserView> {
  constructor(readonly principal: TenancyPrincipal, readonly userId: string, readonly active: boolean) {
    super();
  }
}

export class RemoveMembershipCommand extends Command<void> {
  constructor(readonly principal: TenancyPrincipal, readonly membershipId: string) {
    super();
  }
}
