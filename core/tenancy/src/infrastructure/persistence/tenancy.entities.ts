import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { PostalAddress, TenantKind, TenantStatus } from '../../domain/tenant';
import type { Role } from '../../domain/roles';
import { InvitationEntity } from './invitation.entity';

@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'parent_id', nullable: true }) parentId!: string | null;
  @Column('text') path!: string;
  @Column('text') kind!: TenantKind;
  @Column('text') name!: string;
  @Column('text', { name: 'legal_name' }) legalName!: string;
  @Column('char', { length: 2 }) country!: string;
  @Column('char', { length: 3 }) currency!: string;
  @Column('text', { name: 'billing_email' }) billingEmail!: string;
  @Column('jsonb', { nullable: true }) address!: PostalAddress | null;
  @Column('text', { name: 'vat_id', nullable: true }) vatId!: string | null;
  @Column('text', { name: 'buyer_reference', nullable: true }) buyerReference!: string | null;
  @Column('text', { name: 'time_zone' }) timeZone!: string;
  @Column('text') status!: TenantStatus;
  @Column('timestamptz', { name: 'suspended_at', nullable: true }) suspendedAt!: Date | null;
  @Column('text', { name: 'suspension_reason', nullable: true }) suspensionReason!: string | null;
  @Column('timestamptz', { name: 'closed_at', nullable: true }) closedAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') email!: string;
  @Column('text', { name: 'display_name', nullable: true }) displayName!: string | null;
  @Column('text', { name: 'password_hash', nullable: true }) passwordHash!: string | null;
  @Column('text') status!: 'invited' | 'active' | 'deactivated';
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'deactivated_at', nullable: true }) deactivatedAt!: Date | null;
}

@Entity({ name: 'memberships' })
export class MembershipEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') role!: Role;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

@Entity({ name: 'user_tokens' })
export class UserTokenEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('text') kind!: 'invitation' | 'password_reset';
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'used_at', nullable: true }) usedAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

@Entity({ name: 'refresh_tokens' })
export class RefreshTokenEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'family_id' }) familyId!: string;
  @Column('uuid', { name: 'user_id' }) userId!: string;
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'rotated_at', nullable: true }) rotatedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') name!: string;
  @Column('text') prefix!: string;
  @Column('text', { name: 'key_hash' }) keyHash!: string;
  @Column('text', { array: true }) scopes!: string[];
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
  @Column('text', { name: 'created_by' }) createdBy!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

export { InvitationEntity };

export const TENANCY_ENTITIES = [TenantEntity, UserEntity, MembershipEntity, UserTokenEntity, RefreshTokenEntity, ApiKeyEntity, InvitationEntity];
