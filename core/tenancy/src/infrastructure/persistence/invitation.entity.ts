import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../domain/roles';

/** A pending offer of a role on a tenant to an e-mail address; the membership exists only once it is accepted. */
@Entity({ name: 'invitations' })
export class InvitationEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  /** lower-cased */
  @Column('text') email!: string;
  @Column('text') role!: Role;
  /** the inviter's suggestion for a new account's display name */
  @Column('text', { name: 'display_name', nullable: true }) displayName!: string | null;
  @Column('text', { name: 'token_hash' }) tokenHash!: string;
  /** `user:<id>` or `api_key:<id>` */
  @Column('text', { name: 'invited_by' }) invitedBy!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'expires_at' }) expiresAt!: Date;
  @Column('timestamptz', { name: 'accepted_at', nullable: true }) acceptedAt!: Date | null;
  @Column('timestamptz', { name: 'declined_at', nullable: true }) declinedAt!: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}
