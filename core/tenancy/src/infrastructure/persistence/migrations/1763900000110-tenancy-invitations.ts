import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Invitations become offers the invited person accepts or declines: no membership exists before
 * that. Open invitation tokens of the old model (an `invited` account that already had its
 * membership) move here, so their links keep working.
 */
export class TenancyInvitations1763900000110 implements MigrationInterface {
  name = 'TenancyInvitations1763900000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE invitations (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      email text NOT NULL CHECK (email = lower(email)),
      role text NOT NULL CHECK (role IN ('operator_admin', 'reseller_admin', 'tenant_admin', 'tenant_member', 'billing_viewer')),
      display_name text,
      token_hash text NOT NULL UNIQUE,
      invited_by text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      declined_at timestamptz,
      revoked_at timestamptz
    )`);
    await q.query(`CREATE INDEX invitations_tenant ON invitations (tenant_id, id)`);
    // One open invitation per address, tenant and role: inviting again replaces its token.
    await q.query(`CREATE UNIQUE INDEX invitations_open ON invitations (tenant_id, email, role)
      WHERE accepted_at IS NULL AND declined_at IS NULL AND revoked_at IS NULL`);
    await q.query(`INSERT INTO invitations (id, tenant_id, email, role, token_hash, invited_by, created_at, expires_at)
      SELECT DISTINCT ON (t.id) t.id, m.tenant_id, lower(u.email), m.role, t.token_hash, 'system:migration', t.created_at, t.expires_at
        FROM user_tokens t JOIN users u ON u.id = t.user_id JOIN memberships m ON m.user_id = u.id
       WHERE t.kind = 'invitation' AND t.used_at IS NULL AND u.status = 'invited'
       ORDER BY t.id, m.id`);
    await q.query(`UPDATE user_tokens SET used_at = now() WHERE kind = 'invitation' AND used_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invitations`);
  }
}
