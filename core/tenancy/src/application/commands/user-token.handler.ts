import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { AuditWriter, CLOCK, Clock, MAILER, Mailer, ProblemException, TransactionRunner, Tx, uuidv7, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { hashPassword, randomToken, sha256 } from '../../domain/secrets';
import type { UserTokenEntity } from '../../infrastructure/persistence/tenancy.entities';
import { TokenRepository, UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { RequestPasswordResetCommand, ResetPasswordCommand } from './user-token.command';

export const PASSWORD_RESET_TTL_MS = 3600_000;

export const invalidToken = () => new ProblemException(400, 'auth.invalid_token', 'Invalid or expired token', 'This link is invalid, used or expired; ask for a new one.');

async function consume(tx: Tx, tokens: TokenRepository, kind: UserTokenEntity['kind'], token: string, now: Date): Promise<UserTokenEntity> {
  const row = await tokens.findUserToken(tx, kind, sha256(token));
  if (!row || row.usedAt || row.expiresAt <= now) throw invalidToken();
  await tokens.markUserTokenUsed(tx, row.id, now);
  return row;
}

@CommandHandler(RequestPasswordResetCommand)
export class RequestPasswordResetHandler implements ICommandHandler<RequestPasswordResetCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly audit: AuditWriter,
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ email }: RequestPasswordResetCommand): Promise<void> {
    const sent = await this.tx.run(async (tx) => {
      const user = await this.users.findByEmail(tx, email);
      if (!user || user.status !== 'active') return null;
      const now = this.clock.now();
      const token = randomToken();
      await this.tokens.invalidateUserTokens(tx, user.id, 'password_reset', now);
      await this.tokens.insertUserToken(tx, { id: uuidv7(now.getTime()), userId: user.id, kind: 'password_reset', tokenHash: sha256(token), expiresAt: new Date(now.getTime() + PASSWORD_RESET_TTL_MS), usedAt: null, createdAt: now });
      await this.audit.record(tx, { actor: { type: 'user', id: user.id }, action: 'user.password_reset_requested', tenantId: null, targetType: 'user', targetId: user.id });
      return { email: user.email, token };
    });
    if (sent) {
      await this.mailer.send({
        to: sent.email,
        subject: 'Reset your Werkbank password',
        text: `Someone asked to reset your password. If it was you, set a new one here within an hour: ${this.config.publicUrl}/reset-password?token=${sent.token}\n\nOr with the API: POST /v1/auth/password-reset/confirm {"token":"${sent.token}","password":"..."}\n\nIf it was not you, ignore this message.`,
      });
    }
  }
}

@CommandHandler(ResetPasswordCommand)
export class ResetPasswordHandler implements ICommandHandler<ResetPasswordCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ token, password }: ResetPasswordCommand): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.tx.run(async (tx) => {
      const now = this.clock.now();
      const row = await consume(tx, this.tokens, 'password_reset', token, now);
      const user = await this.users.findById(tx, row.userId);
      if (!user || user.status !== 'active') throw invalidToken();
      user.passwordHash = passwordHash;
      await this.users.save(tx, user);
      // A reset ends every session: whoever knew the old password is logged out.
      await this.tokens.revokeAllOfUser(tx, user.id, now);
      await this.audit.record(tx, { actor: { type: 'user', id: user.id }, action: 'user.password_reset', tenantId: null, targetType: 'user', targetId: user.id });
    });
  }
}
