import type { ApiKeyEntity, InvitationEntity, MembershipEntity, TenantEntity, UserEntity } from '../infrastructure/persistence/tenancy.entities';

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

export type InvitationStatus = 'pending' | 'expired' | 'accepted' | 'declined' | 'revoked';

/** What an inviter sees of an invitation: nothing about whether the address has an account. */
export interface InvitationView {
  id: string;
  tenantId: string;
  email: string;
  role: string;
  status: InvitationStatus;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
}

export function invitationStatus(i: InvitationEntity, now: Date): InvitationStatus {
  if (i.acceptedAt) return 'accepted';
  if (i.declinedAt) return 'declined';
  if (i.revokedAt) return 'revoked';
  return new Date(i.expiresAt) <= now ? 'expired' : 'pending';
}

export function toInvitationView(i: InvitationEntity, now: Date): InvitationView {
  return {
    id: i.id, tenantId: i.tenantId, email: i.email, role: i.role, status: invitationStatus(i, now), invitedBy: i.invitedBy,
    createdAt: iso(i.createdAt)!, expiresAt: iso(i.expiresAt)!,
  };
}
