import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { CLOCK, Clock, decodeCursor, entityManagerOf, Page, Problems, toPage, TransactionRunner } from '@werkbank/kernel';
import { InvitationRepository } from '../../infrastructure/persistence/invitation.repository';
import { ApiKeyRepository, likePrefix, TenantRepository, UserRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { pathsWith } from '../access';
import { requireVisibleUser } from '../commands/manage-user.handler';
import { TenantAccess } from '../tenant-access';
import { ApiKeyView, InvitationView, toApiKeyView, toInvitationView, toMembershipView, toTenantView, toUserView, TenantView } from '../views';
import {
  AuditEventView, GetMeQuery, GetTenantQuery, GetUserQuery, ListApiKeysQuery, ListAuditEventsQuery, ListInvitationsQuery, ListTenantMembersQuery,
  ListTenantsQuery, MemberView, MeView, UserWithMemberships,
} from './tenancy.queries';

const DEFAULT_LIMIT = 50;

@QueryHandler(ListTenantsQuery)
export class ListTenantsHandler implements IQueryHandler<ListTenantsQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly tenants: TenantRepository) {}
  async execute({ principal, page, filter }: ListTenantsQuery): Promise<Page<TenantView>> {
    const limit = page.limit ?? DEFAULT_LIMIT;
    const rows = await this.tenants.listInSubtrees(this.tx.reader(), pathsWith(principal, 'tenants:read'), decodeCursor(page.cursor), limit, filter);
    return toPage(rows, limit, toTenantView);
  }
}

@QueryHandler(GetTenantQuery)
export class GetTenantHandler implements IQueryHandler<GetTenantQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly access: TenantAccess) {}
  async execute({ principal, tenantId }: GetTenantQuery): Promise<TenantView> {
    return toTenantView(await this.access.require(this.tx.reader(), principal, tenantId, 'tenants:read'));
  }
}

@QueryHandler(ListTenantMembersQuery)
export class ListTenantMembersHandler implements IQueryHandler<ListTenantMembersQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly access: TenantAccess, private readonly users: UserRepository) {}
  async execute({ principal, tenantId, page }: ListTenantMembersQuery): Promise<Page<MemberView>> {
    const reader = this.tx.reader();
    await this.access.require(reader, principal, tenantId, 'users:read');
    const limit = page.limit ?? DEFAULT_LIMIT;
    const rows = await this.users.membersOf(reader, tenantId, decodeCursor(page.cursor), limit);
    const withIds = rows.map((r) => ({ id: r.membership.id, ...r }));
    return toPage(withIds, limit, (r) => ({ membership: toMembershipView(r.membership), user: toUserView(r.user) }));
  }
}

@QueryHandler(ListInvitationsQuery)
export class ListInvitationsHandler implements IQueryHandler<ListInvitationsQuery> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly access: TenantAccess,
    private readonly invitations: InvitationRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}
  async execute({ principal, tenantId, page }: ListInvitationsQuery): Promise<Page<InvitationView>> {
    const reader = this.tx.reader();
    const tenant = await this.access.require(reader, principal, tenantId, 'users:read');
    const limit = page.limit ?? DEFAULT_LIMIT;
    const now = this.clock.now();
    return toPage(await this.invitations.listOpenOfTenant(reader, tenant.id, decodeCursor(page.cursor), limit), limit, (i) => toInvitationView(i, now));
  }
}

@QueryHandler(GetUserQuery)
export class GetUserHandler implements IQueryHandler<GetUserQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly users: UserRepository) {}
  async execute({ principal, userId }: GetUserQuery): Promise<UserWithMemberships> {
    const reader = this.tx.reader();
    const user = await requireVisibleUser(reader, this.users, principal, userId);
    const visible = pathsWith(principal, 'tenants:read');
    const grants = await this.users.grantsOf(reader, user.id);
    const memberships = (await this.users.membershipsOf(reader, user.id)).filter((m) => {
      const g = grants.find((x) => x.tenantId === m.tenantId);
      return principal.userId === user.id || (g && visible.some((p) => g.path.startsWith(p)));
    });
    return { ...toUserView(user), memberships: memberships.map((m) => ({ ...toMembershipView(m), tenantName: m.tenantName })) };
  }
}

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly access: TenantAccess, private readonly apiKeys: ApiKeyRepository) {}
  async execute({ principal, tenantId, page }: ListApiKeysQuery): Promise<Page<ApiKeyView>> {
    const reader = this.tx.reader();
    await this.access.require(reader, principal, tenantId, 'api_keys:read');
    const limit = page.limit ?? DEFAULT_LIMIT;
    return toPage(await this.apiKeys.listOfTenant(reader, tenantId, decodeCursor(page.cursor), limit), limit, toApiKeyView);
  }
}

@QueryHandler(ListAuditEventsQuery)
export class ListAuditEventsHandler implements IQueryHandler<ListAuditEventsQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly access: TenantAccess) {}
  async execute({ principal, page, filter }: ListAuditEventsQuery): Promise<Page<AuditEventView>> {
    const reader = this.tx.reader();
    let prefixes = pathsWith(principal, 'audit:read');
    if (filter.tenantId) {
      const tenant = await this.access.require(reader, principal, filter.tenantId, 'audit:read');
      prefixes = [tenant.path];
    }
    if (prefixes.length === 0) throw Problems.forbidden();
    const limit = page.limit ?? DEFAULT_LIMIT;
    const afterId = decodeCursor(page.cursor);
    const params: unknown[] = [prefixes.map(likePrefix), limit + 1];
    let where = `t.path LIKE ANY($1)`;
    if (afterId) { params.push(afterId); where += ` AND a.id < $${params.length}`; }
    if (filter.action) { params.push(filter.action); where += ` AND a.action = $${params.length}`; }
    // Newest first: an audit trail is read backwards.
    const rows: Array<{ id: string; occurred_at: Date; actor_type: string; actor_id: string; tenant_id: string | null; action: string; target_type: string; target_id: string | null; data: Record<string, unknown>; request_id: string | null }> =
      await entityManagerOf(reader).query(
        `SELECT a.* FROM audit_events a JOIN tenants t ON t.id = a.tenant_id WHERE ${where} ORDER BY a.id DESC LIMIT $2`,
        params,
      );
    return toPage(rows, limit, (r) => ({
      id: r.id, occurredAt: new Date(r.occurred_at).toISOString(), actor: { type: r.actor_type, id: r.actor_id }, tenantId: r.tenant_id,
      action: r.action, target: { type: r.target_type, id: r.target_id }, data: r.data, requestId: r.request_id,
    }));
  }
}

@QueryHandler(GetMeQuery)
export class GetMeHandler implements IQueryHandler<GetMeQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly users: UserRepository, private readonly apiKeys: ApiKeyRepository) {}
  async execute({ principal }: GetMeQuery): Promise<MeView> {
    const reader = this.tx.reader();
    if (principal.kind === 'api_key') {
      const key = await this.apiKeys.findById(reader, principal.id);
      return { kind: 'api_key', user: null, apiKey: key ? toApiKeyView(key) : null };
    }
    const user = await this.users.findById(reader, principal.id);
    if (!user) throw Problems.unauthorized();
    const memberships = await this.users.membershipsOf(reader, user.id);
    return { kind: 'user', user: { ...toUserView(user), memberships: memberships.map((m) => ({ ...toMembershipView(m), tenantName: m.tenantName })) }, apiKey: null };
  }
}

export const TENANCY_QUERY_HANDLERS = [
  ListTenantsHandler, GetTenantHandler, ListTenantMembersHandler, ListInvitationsHandler, GetUserHandler, ListApiKeysHandler, ListAuditEventsHandler, GetMeHandler,
];
