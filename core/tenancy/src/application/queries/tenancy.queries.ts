import { Query } from '@nestjs/cqrs';
import type { Page } from '@werkbank/kernel';
import type { TenancyPrincipal } from '../access';
import type { ApiKeyView, InvitationView, MembershipView, TenantView, UserView } from '../views';

export interface PageRequest {
  cursor?: string;
  limit?: number;
}

/** The caller's visible subtree, optionally the children of one tenant or one status. */
export class ListTenantsQuery extends Query<Page<TenantView>> {
  constructor(readonly principal: TenancyPrincipal, readonly page: PageRequest, readonly filter: { parentId?: string; status?: string }) {
    super();
  }
}

export class GetTenantQuery extends Query<TenantView> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string) {
    super();
  }
}

export interface MemberView {
  membership: MembershipView;
  user: UserView;
}

export class ListTenantMembersQuery extends Query<Page<MemberView>> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly page: PageRequest) {
    super();
  }
}

/** Open invitations (pending or expired, not yet answered or revoked) on exactly this tenant. */
export class ListInvitationsQuery extends Query<Page<InvitationView>> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly page: PageRequest) {
    super();
  }
}

export interface UserWithMemberships extends UserView {
  memberships: Array<MembershipView & { tenantName: string }>;
}

export class GetUserQuery extends Query<UserWithMemberships> {
  constructor(readonly principal: TenancyPrincipal, readonly userId: string) {
    super();
  }
}

export class ListApiKeysQuery extends Query<Page<ApiKeyView>> {
  constructor(readonly principal: TenancyPrincipal, readonly tenantId: string, readonly page: PageRequest) {
    super();
  }
}

export interface AuditEventView {
  id: string;
  occurredAt: string;
  actor: { type: string; id: string };
  tenantId: string | null;
  action: string;
  target: { type: string; id: string | null };
  data: Record<string, unknown>;
  requestId: string | null;
}

export class ListAuditEventsQuery extends Query<Page<AuditEventView>> {
  constructor(readonly principal: TenancyPrincipal, readonly page: PageRequest, readonly filter: { tenantId?: string; action?: string }) {
    super();
  }
}

export interface MeView {
  kind: 'user' | 'api_key';
  user: UserWithMemberships | null;
  apiKey: ApiKeyView | null;
}

export class GetMeQuery extends Query<MeView> {
  constructor(readonly principal: TenancyPrincipal) {
    super();
  }
}
