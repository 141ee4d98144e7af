import { Command } from '@nestjs/cqrs';
import type { TokenPair } from '../../auth/token.service';

/** Accepting an invitation sets the password, activates the account and logs in. */
export class AcceptInvitationCommand extends Command<TokenPair> {
  constructor(readonly token: string, readonly password: string, readonly displayName?: string) {
    super();
  }
}

/** Always succeeds from the outside, so it does not reveal which e-mails have accounts. */
export class RequestPasswordResetCommand extends Command<void> {
  constructor(readonly email: string) {
    super();
  }
}

export class ResetPasswordCommand extends Command<void> {
  constructor(readonly token: string, readonly password: string) {
    super();
  }
}
