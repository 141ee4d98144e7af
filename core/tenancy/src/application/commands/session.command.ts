import { Command } from '@nestjs/cqrs';
import type { TokenPair } from '../../auth/token.service';

export class LoginCommand extends Command<TokenPair> {
  constructor(readonly email: string, readonly password: string, readonly ip: string) {
    super();
  }
}

export class RefreshSessionCommand extends Command<TokenPair> {
  constructor(readonly refreshToken: string) {
    super();
  }
}

export class LogoutCommand extends Command<void> {
  constructor(readonly refreshToken: string) {
    super();
  }
}
