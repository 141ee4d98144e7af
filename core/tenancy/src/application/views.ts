import type { ApiKeyEntity, MembershipEntity, TenantEntity, UserEntity } from '../infrastructure/persistence/tenancy.entities';

export interface TenantView {
  id: string;
  parentId: string | null;
  kind: string;
  name: string;
  legalName: string;
  country: string;
  currency: string;
  billingEmail: string;
  address: TenantEntity['address'];
  vatId: string | null;
  buyerReference: string | null;
  timeZone: string;
  status: string;
  suspendedAt: string | null;
  suspensionReason: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toTenantView(t: TenantEntity): TenantView {
  return {
    id: t.id, parentId: t.parentId, kind: t.kind, name: t.name, legalName: t.legalName, country: t.country,
    currency: t.currency, billingEmail: t.billingEmail, address: t.address, vatId: t.vatId, buyerReference: t.buyerReference,
    timeZone: t.timeZone, status: t.status, suspendedAt: iso(t.suspendedAt), suspensionReason: t.suspensionReason,
    closedAt: iso(t.closedAt), createdAt: iso(t.createdAt)!, updatedAt: iso(t.updatedAt)!,
  };
}

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  status: string;
  createdAt: string;
  deactivatedAt: string | null;
}

export function toUserView(u: UserEntity): UserView {
  return { id: u.id, email: u.email, displayName: u.displayName, status: u.status, createdAt: iso(u.createdAt)!, deactivatedAt: iso(u.deactivatedAt) };
}

export interface MembershipView {
  id: string;
  userId: string;
  tenantId: string;
  role: string;
  createdAt: string;
}

export function toMembershipView(m: MembershipEntity): MembershipView {
  return { id: m.id, userId: m.userId, tenantId: m.tenantId, role: m.role, createdAt: iso(m.createdAt)! };
}

export interface ApiKeyView {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  createdAt: string;
}

export function toApiKeyView(k: ApiKeyEntity): ApiKeyView {
  return {
    id: k.id, tenantId: k.tenantId, name: k.name, prefix: k.prefix, scopes: k.scopes,
    expiresAt: iso(k.expiresAt), lastUsedAt: iso(k.lastUsedAt), revokedAt: iso(k.revokedAt), createdAt: iso(k.createdAt)!,
  };
}
