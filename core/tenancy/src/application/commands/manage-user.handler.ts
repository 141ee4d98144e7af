import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, ProblemException, Problems, TransactionRunner, Tx } from '@werkbank/kernel';
import { ROLE_RANK } from '../../domain/roles';
import { isInSubtree } from '../../domain/tenant';
import { TenantRepository, TokenRepository, UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { canSee, highestRank, pathsWith, TenancyPrincipal } from '../access';
import { toUserView, UserView } from '../views';
import { RemoveMembershipCommand, SetUserActiveCommand } from './manage-user.command';

export const userNotFound = () => Problems.notFound('user.not_found', 'User');

/** A user is visible when they hold a membership the caller can see (or are the caller). */
export async function requireVisibleUser(tx: Tx, users: UserRepository, principal: TenancyPrincipal, userId: string) {
  const user = await users.findById(tx, userId);
  if (!user) throw userNotFound();
  if (principal.userId === user.id) return user;
  const grants = await users.grantsOf(tx, user.id);
  if (!grants.some((g) => canSee(principal, g.path))) throw userNotFound();
  return user;
}

@CommandHandler(SetUserActiveCommand)
export class SetUserActiveHandler implements ICommandHandler<SetUserActiveCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tokens: TokenRepository,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, userId, active }: SetUserActiveCommand): Promise<UserView> {
    return this.tx.run(async (tx) => {
      const user = await requireVisibleUser(tx, this.users, principal, userId);
      if (principal.userId === user.id) throw Problems.forbidden('user.self_deactivation', 'You cannot change the status of your own account.');
      // The account is global: only someone who administers every place it has a role may switch it off.
      const writable = pathsWith(principal, 'users:write');
      const grants = await this.users.grantsOf(tx, user.id);
      const coversAll = grants.every((g) => writable.some((p) => isInSubtree(g.path, p)) && (!g.role || ROLE_RANK[g.role] <= highestRank(principal, g.path, ROLE_RANK)));
      if (!coversAll) throw Problems.forbidden();
      const now = this.clock.now();
      if (active) {
        if (user.status !== 'deactivated') throw new ProblemException(409, 'user.not_deactivated', 'User is not deactivated', 'Only deactivated users can be reactivated.');
        Object.assign(user, { status: user.passwordHash ? 'active' : 'invited', deactivatedAt: null });
      } else {
        if (user.status === 'deactivated') throw new ProblemException(409, 'user.already_deactivated', 'User already deactivated', 'This user is already deactivated.');
        Object.assign(user, { status: 'deactivated', deactivatedAt: now });
        await this.tokens.revokeAllOfUser(tx, user.id, now);
      }
      await this.users.save(tx, user);
      const action = active ? 'reactivated' : 'deactivated';
      await this.outbox.append(tx, { type: `tenancy.user_${action}`, payload: { userId: user.id } });
      for (const tenantId of new Set(grants.map((g) => g.tenantId))) {
        await this.audit.record(tx, { actor: actorOf(principal), action: `user.${action}`, tenantId, targetType: 'user', targetId: user.id });
      }
      return toUserView(user);
    });
  }
}

@CommandHandler(RemoveMembershipCommand)
export class RemoveMembershipHandler implements ICommandHandler<RemoveMembershipCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly users: UserRepository,
    private readonly tenants: TenantRepository,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
  ) {}

  async execute({ principal, membershipId }: RemoveMembershipCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const membership = await this.users.findMembership(tx, membershipId);
      const tenant = membership ? await this.tenants.findById(tx, membership.tenantId) : null;
      if (!membership || !tenant || !canSee(principal, tenant.path)) throw Problems.notFound('membership.not_found', 'Membership');
      const writable = pathsWith(principal, 'users:write');
      if (!writable.some((p) => isInSubtree(tenant.path, p)) || ROLE_RANK[membership.role] > highestRank(principal, tenant.path, ROLE_RANK)) {
        throw Problems.forbidden();
      }
      if (membership.role === 'operator_admin' && (await this.users.countMembershipsWithRole(tx, tenant.id, 'operator_admin')) <= 1) {
        throw Problems.conflict('membership.last_operator_admin', 'The last operator admin cannot be removed; add another one first.');
      }
      await this.users.deleteMembership(tx, membership.id);
      await this.outbox.append(tx, { type: 'tenancy.membership_removed', tenantId: tenant.id, payload: { membershipId, userId: membership.userId, role: membership.role } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'membership.removed', tenantId: tenant.id, targetType: 'user', targetId: membership.userId, data: { role: membership.role } });
    });
  }
}
