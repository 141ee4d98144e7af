import { Command } from '@nestjs/cqrs';

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
