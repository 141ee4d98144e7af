import { Command } from '@nestjs/cqrs';
import type { TokenPair } from '../../auth/token.service';
import type { TenancyPrincipal } from '../access';

/**
 * The invited person's consent, proven by the token from the mail. A new address sets its
 * password and is logged in (a token pair); an existing account gets the membership and logs
 * in as usual (null).
 */
export class AcceptInvitationCommand extends Command<TokenPair | null> {
  constructor(readonly token: string, readonly password?: string, readonly displayName?: string) {
    super();
  }
}

export class DeclineInvitationCommand extends Command<void> {
  constructor(readonly token: string) {
    super();
  }
}

export class RevokeInvitationCommand extends Command<void> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly invitationId: string) {
    super();
  }
}
