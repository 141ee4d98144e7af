import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, Problems, TransactionRunner, Tx, uuidv7 } from '@werkbank/kernel';
import { TokenPair, TokenService } from '../../auth/token.service';
import { ROLE_RANK } from '../../domain/roles';
import { hashPassword, sha256 } from '../../domain/secrets';
import type { InvitationEntity } from '../../infrastructure/persistence/invitation.entity';
import { InvitationRepository } from '../../infrastructure/persistence/invitation.repository';
import { TenantRepository, UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { highestRank } from '../access';
import { TenantAccess } from '../tenant-access';
import { AcceptInvitationCommand, DeclineInvitationCommand, RevokeInvitationCommand } from './invitation.command';
import { invalidToken } from './user-token.handler';

/** Declining needs no account, so the actor is the same whether or not the address has one. */
const INVITEE = { type: 'system', id: 'invitee' } as const;

export const invitationNotFound = () => Problems.notFound('invitation.not_found', 'Invitation');

/** The open invitation of this token, locked; used, revoked, expired or unknown tokens answer 400 auth.invalid_token. */
async function openInvitation(tx: Tx, invitations: InvitationRepository, token: string, now: Date): Promise<InvitationEntity> {
  const invitation = await invitations.lockByTokenHash(tx, sha256(token));
  if (!invitation || invitation.acceptedAt || invitation.declinedAt || invitation.revokedAt || invitation.expiresAt <= now) throw invalidToken();
  return invitation;
}

@CommandHandler(AcceptInvitationCommand)
export class AcceptInvitationHandler implements ICommandHandler<AcceptInvitationCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tenants: TenantRepository,
    private readonly invitations: InvitationRepository,
    private readonly tokenService: TokenService,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ token, password, displayName }: AcceptInvitationCommand): Promise<TokenPair | null> {
    const passwordHash = password === undefined ? null : await hashPassword(password);
    return this.tx.run(async (tx) => {
      const now = this.clock.now();
      const invitation = await openInvitation(tx, this.invitations, token, now);
      const tenant = await this.tenants.findById(tx, invitation.tenantId);
      if (!tenant || tenant.status === 'closed') throw invalidToken();
      let user = await this.users.findByEmail(tx, invitation.email);
      if (user?.status === 'deactivated') throw invalidToken();
      // 'invited': an account of the old model that never set its password.
      const newAccount = !user || user.status === 'invited';
      if (newAccount) {
        if (!passwordHash) throw Problems.validation([{ field: 'password', message: 'password is required: accepting this invitation creates your account' }]);
        const name = displayName ?? user?.displayName ?? invitation.displayName;
        if (user) {
          Object.assign(user, { passwordHash, status: 'active', displayName: name });
          await this.users.save(tx, user);
        } else {
          user = { id: uuidv7(now.getTime()), email: invitation.email, displayName: name, passwordHash, status: 'active', createdAt: now, deactivatedAt: null };
          await this.users.insert(tx, user);
        }
        await this.outbox.append(tx, { type: 'tenancy.user_activated', payload: { userId: user.id } });
      }
      const activeUser = user!;
      invitation.acceptedAt = now;
      await this.invitations.save(tx, invitation);
      // Accepting a role the account already holds changes nothing but the invitation.
      const held = await this.users.findMembershipByKey(tx, activeUser.id, tenant.id, invitation.role);
      const actor = { type: 'user', id: activeUser.id } as const;
      if (!held) {
        const membership = { id: uuidv7(now.getTime()), userId: activeUser.id, tenantId: tenant.id, role: invitation.role, createdAt: now };
        await this.users.insertMembership(tx, membership);
        await this.outbox.append(tx, { type: 'tenancy.membership_added', tenantId: tenant.id, payload: { membershipId: membership.id, userId: activeUser.id, role: invitation.role } });
        await this.audit.record(tx, { actor, action: 'membership.added', tenantId: tenant.id, targetType: 'user', targetId: activeUser.id, data: { role: invitation.role, invitationId: invitation.id } });
      }
      await this.audit.record(tx, {
        actor, action: 'invitation.accepted', tenantId: tenant.id, targetType: 'invitation', targetId: invitation.id,
        data: { email: invitation.email, role: invitation.role, membershipCreated: !held },
      });
      return newAccount ? this.tokenService.issue(tx, activeUser.id) : null;
    });
  }
}

@CommandHandler(DeclineInvitationCommand)
export class DeclineInvitationHandler implements ICommandHandler<DeclineInvitationCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly invitations: InvitationRepository,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ token }: DeclineInvitationCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const now = this.clock.now();
      const invitation = await openInvitation(tx, this.invitations, token, now);
      invitation.declinedAt = now;
      await this.invitations.save(tx, invitation);
      await this.audit.record(tx, {
        actor: INVITEE, action: 'invitation.declined', tenantId: invitation.tenantId, targetType: 'invitation', targetId: invitation.id,
        data: { email: invitation.email, role: invitation.role },
      });
    });
  }
}

@CommandHandler(RevokeInvitationCommand)
export class RevokeInvitationHandler implements ICommandHandler<RevokeInvitationCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: TenantAccess,
    private readonly invitations: InvitationRepository,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, invitationId }: RevokeInvitationCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const tenant = await this.access.require(tx, principal, tenantId, 'users:write');
      const invitation = await this.invitations.lockOfTenant(tx, tenant.id, invitationId);
      if (!invitation) throw invitationNotFound();
      if (ROLE_RANK[invitation.role] > highestRank(principal, tenant.path, ROLE_RANK)) throw Problems.forbidden();
      if (invitation.revokedAt) return;
      if (invitation.acceptedAt || invitation.declinedAt) {
        throw Problems.conflict('invitation.not_pending', `This invitation was already ${invitation.acceptedAt ? 'accepted (remove the membership instead)' : 'declined'}; there is nothing to revoke.`);
      }
      invitation.revokedAt = this.clock.now();
      await this.invitations.save(tx, invitation);
      await this.audit.record(tx, {
        actor: actorOf(principal), action: 'invitation.revoked', tenantId: tenant.id, targetType: 'invitation', targetId: invitation.id,
        data: { email: invitation.email, role: invitation.role },
      });
    });
  }
}

export const INVITATION_COMMAND_HANDLERS = [AcceptInvitationHandler, DeclineInvitationHandler, RevokeInvitationHandler];
