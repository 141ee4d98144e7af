import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditWriter, MetricsService, ProblemException, TransactionRunner } from '@werkbank/kernel';
import { LoginRateLimiter } from '../../auth/login-rate-limiter';
import { TokenPair, TokenService } from '../../auth/token.service';
import { verifyPassword } from '../../domain/secrets';
import { UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { LoginCommand, LogoutCommand, RefreshSessionCommand } from './session.command';

const invalidCredentials = () =>
  new ProblemException(401, 'auth.invalid_credentials', 'Invalid credentials', 'E-mail or password is wrong. Forgot it? POST /v1/auth/password-reset.');

/** Verifies against a fixed hash when the account is unknown, so timing does not reveal accounts. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

@CommandHandler(LoginCommand)
export class LoginHandler implements ICommandHandler<LoginCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly limiter: LoginRateLimiter,
    private readonly audit: AuditWriter,
    private readonly metrics: MetricsService,
  ) {}

  async execute({ email, password, ip }: LoginCommand): Promise<TokenPair> {
    await this.limiter.check(email, ip);
    const user = await this.users.findByEmail(this.tx.reader(), email);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || user.status !== 'active') {
      await this.limiter.recordFailure(email);
      this.metrics.loginAttempts.inc({ outcome: 'failure' });
      throw invalidCredentials();
    }
    await this.limiter.recordSuccess(email);
    this.metrics.loginAttempts.inc({ outcome: 'success' });
    return this.tx.run(async (tx) => {
      await this.audit.record(tx, { actor: { type: 'user', id: user.id }, action: 'auth.login', tenantId: null, targetType: 'user', targetId: user.id, data: { ip } });
      return this.tokens.issue(tx, user.id);
    });
  }
}

@CommandHandler(RefreshSessionCommand)
export class RefreshSessionHandler implements ICommandHandler<RefreshSessionCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenService,
    private readonly audit: AuditWriter,
  ) {}

  async execute({ refreshToken }: RefreshSessionCommand): Promise<TokenPair> {
    const outcome = await this.tx.run(async (tx) => {
      const rotated = await this.tokens.rotate(tx, refreshToken);
      if ('reused' in rotated) {
        await this.audit.record(tx, { actor: { type: 'system', id: 'auth' }, action: 'auth.refresh_token_reused', tenantId: null, targetType: 'refresh_token_family', targetId: null });
        return null;
      }
      const user = await this.users.findById(tx, rotated.userId);
      if (!user || user.status !== 'active') return null;
      return this.tokens.issue(tx, user.id, rotated.familyId);
    });
    // The family revocation above is committed before answering, so the thief's token dies too.
    if (!outcome) {
      throw new ProblemException(401, 'auth.invalid_refresh_token', 'Invalid refresh token', 'This refresh token was already used or the account is inactive; all sessions of this login were ended. Log in again.');
    }
    return outcome;
  }
}

@CommandHandler(LogoutCommand)
export class LogoutHandler implements ICommandHandler<LogoutCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tokens: TokenService,
    private readonly audit: AuditWriter,
  ) {}

  async execute({ refreshToken }: LogoutCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const userId = await this.tokens.revoke(tx, refreshToken);
      if (userId) await this.audit.record(tx, { actor: { type: 'user', id: userId }, action: 'auth.logout', tenantId: null, targetType: 'user', targetId: userId });
    });
  }
}
