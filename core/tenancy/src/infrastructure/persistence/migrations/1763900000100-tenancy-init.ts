import { MigrationInterface, QueryRunner } from 'typeorm';

export class TenancyInit1763900000100 implements MigrationInterface {
  name = 'TenancyInit1763900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE tenants (
      id uuid PRIMARY KEY,
      parent_id uuid REFERENCES tenants(id),
      path text NOT NULL UNIQUE,
      kind text NOT NULL CHECK (kind IN ('operator', 'reseller', 'organization')),
      name text NOT NULL,
      legal_name text NOT NULL,
      country char(2) NOT NULL,
      currency char(3) NOT NULL,
      billing_email text NOT NULL,
      address jsonb,
      vat_id text,
      buyer_reference text,
      time_zone text NOT NULL,
      status text NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
      suspended_at timestamptz,
      suspension_reason text,
      closed_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX tenants_path ON tenants (path text_pattern_ops)`);
    await q.query(`CREATE UNIQUE INDEX tenants_single_operator ON tenants ((kind)) WHERE kind = 'operator'`);
    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      display_name text,
      password_hash text,
      status text NOT NULL CHECK (status IN ('invited', 'active', 'deactivated')),
      created_at timestamptz NOT NULL,
      deactivated_at timestamptz
    )`);
    await q.query(`CREATE UNIQUE INDEX users_email ON users (lower(email))`);
    await q.query(`CREATE TABLE memberships (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      role text NOT NULL CHECK (role IN ('operator_admin', 'reseller_admin', 'tenant_admin', 'tenant_member', 'billing_viewer')),
      created_at timestamptz NOT NULL,
      UNIQUE (user_id, tenant_id, role)
    )`);
    await q.query(`CREATE INDEX memberships_tenant ON memberships (tenant_id)`);
    await q.query(`CREATE TABLE user_tokens (
      id uuid PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES users(id),
      kind text NOT NULL CHECK (kind IN ('invitation', 'password_reset')),
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      used_at timestamptz,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE refresh_tokens (
      id uuid PRIMARY KEY,
      family_id uuid NOT NULL,
      user_id uuid NOT NULL REFERENCES users(id),
      token_hash text NOT NULL,
      expires_at timestamptz NOT NULL,
      rotated_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)`);
    await q.query(`CREATE TABLE api_keys (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      name text NOT NULL,
      prefix text NOT NULL,
      key_hash text NOT NULL UNIQUE,
      scopes text[] NOT NULL,
      expires_at timestamptz,
      last_used_at timestamptz,
      revoked_at timestamptz,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'refresh_tokens', 'user_tokens', 'memberships', 'users', 'tenants']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
