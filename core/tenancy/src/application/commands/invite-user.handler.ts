import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, MAILER, Mailer, OutboxWriter, ProblemException, Problems, TransactionRunner, uuidv7, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { ROLE_RANK } from '../../domain/roles';
import { randomToken, sha256 } from '../../domain/secrets';
import { TokenRepository, UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { highestRank } from '../access';
import { TenantAccess } from '../tenant-access';
import { toMembershipView, toUserView } from '../views';
import { InvitationResult, InviteUserCommand } from './invite-user.command';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

@CommandHandler(InviteUserCommand)
export class InviteUserHandler implements ICommandHandler<InviteUserCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly access: TenantAccess,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, email, role, displayName }: InviteUserCommand): Promise<InvitationResult> {
    const { result, token } = await this.tx.run(async (tx) => {
      const tenant = await this.access.require(tx, principal, tenantId, 'users:write', { lock: true });
      await this.access.requireActive(tx, tenant);
      if (ROLE_RANK[role] > highestRank(principal, tenant.path, ROLE_RANK)) {
        throw Problems.forbidden('membership.role_too_high', 'You cannot grant a role higher than your own.');
      }
      if (role === 'operator_admin' && tenant.kind !== 'operator') {
        throw new ProblemException(422, 'membership.invalid_role', 'Role does not fit the tenant', 'operator_admin is granted on the operator tenant only.');
      }
      if (role === 'reseller_admin' && tenant.kind !== 'reseller') {
        throw new ProblemException(422, 'membership.invalid_role', 'Role does not fit the tenant', 'reseller_admin is granted on reseller tenants only.');
      }
      const now = this.clock.now();
      let user = await this.users.findByEmail(tx, email);
      let token: string | null = null;
      let expiresAt: Date | null = null;
      if (!user) {
        user = { id: uuidv7(now.getTime()), email: email.toLowerCase(), displayName: displayName ?? null, passwordHash: null, status: 'invited', createdAt: now, deactivatedAt: null };
        await this.users.insert(tx, user);
      }
      if (user.status === 'invited') {
        token = randomToken();
        expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
        await this.tokens.invalidateUserTokens(tx, user.id, 'invitation', now);
        await this.tokens.insertUserToken(tx, { id: uuidv7(now.getTime()), userId: user.id, kind: 'invitation', tokenHash: sha256(token), expiresAt, usedAt: null, createdAt: now });
      }
      if (await this.users.findMembershipByKey(tx, user.id, tenant.id, role)) {
        throw Problems.conflict('membership.exists', 'This user already has this role on this tenant.');
      }
      const membership = { id: uuidv7(now.getTime()), userId: user.id, tenantId: tenant.id, role, createdAt: now };
      await this.users.insertMembership(tx, membership);
      await this.outbox.append(tx, { type: 'tenancy.membership_added', tenantId: tenant.id, payload: { membershipId: membership.id, userId: user.id, role } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'membership.added', tenantId: tenant.id, targetType: 'user', targetId: user.id, data: { role, invited: token !== null } });
      return {
        token: token ? { value: token, tenantName: tenant.name, email: user.email } : null,
        result: { user: toUserView(user), membership: toMembershipView(membership), invitationExpiresAt: expiresAt?.toISOString() ?? null },
      };
    });
    if (token) {
      // Sent after commit: a mail for a rolled-back invitation would carry a dead token.
      await this.mailer.send({
        to: token.email,
        subject: `You are invited to ${token.tenantName} on Werkbank`,
        text: `You have been invited to ${token.tenantName}.\n\nSet your password here: ${this.config.publicUrl}/accept-invitation?token=${token.value}\n\nOr with the API: POST /v1/auth/invitations/accept {"token":"${token.value}","password":"..."}\n\nThe invitation expires on ${result.invitationExpiresAt}.`,
      });
    }
    return result;
  }
}
