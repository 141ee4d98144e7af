import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, MAILER, Mailer, ProblemException, Problems, TransactionRunner, uuidv7, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { ROLE_RANK } from '../../domain/roles';
import { randomToken, sha256 } from '../../domain/secrets';
import { InvitationRepository } from '../../infrastructure/persistence/invitation.repository';
import { UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { highestRank } from '../access';
import { TenantAccess } from '../tenant-access';
import { toInvitationView } from '../views';
import { InvitationResult, InviteUserCommand } from './invite-user.command';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

interface InvitationMail {
  to: string;
  token: string;
  tenantName: string;
  role: string;
  expiresAt: string;
  /** a new address sets a password; an existing account only accepts */
  newAccount: boolean;
}

@CommandHandler(InviteUserCommand)
export class InviteUserHandler implements ICommandHandler<InviteUserCommand> {
  private readonly logger = new Logger('Invitations');

  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly invitations: InvitationRepository,
    private readonly access: TenantAccess,
    private readonly audit: AuditWriter,
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, email, role, displayName }: InviteUserCommand): Promise<InvitationResult> {
    const address = email.toLowerCase();
    const { result, mail } = await this.tx.run(async (tx) => {
      // The tenant lock serializes invitations of one tenant, so re-inviting replaces instead of racing.
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
      const token = randomToken();
      const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS);
      const invitedBy = `${principal.kind}:${principal.id}`;
      let invitation = await this.invitations.lockOpen(tx, tenant.id, address, role);
      const renewed = invitation !== null;
      if (invitation) {
        // Inviting again while one is open replaces its token: the older link stops working.
        Object.assign(invitation, { tokenHash: sha256(token), expiresAt, invitedBy, displayName: displayName ?? invitation.displayName });
        await this.invitations.save(tx, invitation);
      } else {
        invitation = {
          id: uuidv7(now.getTime()), tenantId: tenant.id, email: address, role, displayName: displayName ?? null, tokenHash: sha256(token), invitedBy,
          createdAt: now, expiresAt, acceptedAt: null, declinedAt: null, revokedAt: null,
        };
        await this.invitations.insert(tx, invitation);
      }
      await this.audit.record(tx, {
        actor: actorOf(principal), action: 'invitation.created', tenantId: tenant.id, targetType: 'invitation', targetId: invitation.id,
        data: { email: address, role, ...(renewed ? { renewed: true } : {}) },
      });
      // Whether the address has an account decides the mail only; it reaches neither the answer nor the audit trail.
      const user = await this.users.findByEmail(tx, address);
      const mail: InvitationMail | null = user?.status === 'deactivated' ? null : {
        to: address, token, tenantName: tenant.name, role, expiresAt: expiresAt.toISOString(), newAccount: !user || user.status === 'invited',
      };
      return { result: { invitation: toInvitationView(invitation, now) }, mail };
    });
    // Sent after commit (a rolled-back invitation's token would be dead) and not awaited, so the
    // answer takes as long whether or not a mail goes out.
    if (mail) {
      this.mailer.send(this.compose(mail)).catch((error: unknown) => {
        this.logger.error({ msg: 'invitation mail not sent; inviting again sends a new one', invitationId: result.invitation.id, err: String(error) });
      });
    }
    return result;
  }

  private compose(mail: InvitationMail) {
    const link = `${this.config.publicUrl}/accept-invitation?token=${mail.token}`;
    const decline = `To decline: POST /v1/auth/invitations/decline {"token":"${mail.token}"}`;
    const expiry = `The invitation expires on ${mail.expiresAt}.`;
    const text = mail.newAccount
      ? `You have been invited to ${mail.tenantName} on Werkbank as ${mail.role}.\n\nSet your password here: ${link}\n\nOr with the API: POST /v1/auth/invitations/accept {"token":"${mail.token}","password":"..."}\n\n${decline}\n\n${expiry}`
      : `You have been invited to ${mail.tenantName} on Werkbank as ${mail.role}. You already have an account: nothing changes until you accept.\n\nAccept the invitation here: ${link}\n\nOr with the API: POST /v1/auth/invitations/accept {"token":"${mail.token}"}, then log in as usual.\n\n${decline}\n\n${expiry}`;
    return { to: mail.to, subject: `You are invited to ${mail.tenantName} on Werkbank`, text };
  }
}
