import { MigrationInterface, QueryRunner } from 'typeorm';

export class ProvisioningInit1763900000200 implements MigrationInterface {
  name = 'ProvisioningInit1763900000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE service_instances (
      id uuid PRIMARY KEY,
      tenant_id uuid NOT NULL REFERENCES tenants(id),
      plugin_id text NOT NULL,
      mode text NOT NULL CHECK (mode IN ('shared', 'dedicated')),
      options jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL CHECK (state IN ('requested', 'provisioning', 'active', 'suspending', 'suspended', 'resuming', 'deprovisioning', 'deprovisioned', 'failed')),
      desired_state text NOT NULL CHECK (desired_state IN ('active', 'suspended', 'deprovisioned')),
      generation int NOT NULL DEFAULT 1,
      epoch int NOT NULL DEFAULT 0,
      failure_reason text,
      external_id text,
      endpoints jsonb NOT NULL DEFAULT '{}',
      metadata jsonb NOT NULL DEFAULT '{}',
      entitlements jsonb NOT NULL DEFAULT '{}',
      credentials_sealed text,
      credentials_revealed_at timestamptz,
      last_inspected_at timestamptz,
      held_by_tenant boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
    // One live instance per tenant and service; deprovisioned ones stay for the invoices.
    await q.query(`CREATE UNIQUE INDEX service_instances_live ON service_instances (tenant_id, plugin_id) WHERE state <> 'deprovisioned'`);
    await q.query(`CREATE INDEX service_instances_tenant ON service_instances (tenant_id, id)`);
    await q.query(`CREATE INDEX service_instances_pending ON service_instances (updated_at) WHERE state IN ('requested', 'provisioning', 'suspending', 'resuming', 'deprovisioning')`);
    await q.query(`CREATE TABLE service_instance_transitions (
      id uuid PRIMARY KEY,
      instance_id uuid NOT NULL REFERENCES service_instances(id),
      from_state text NOT NULL,
      to_state text NOT NULL,
      at timestamptz NOT NULL,
      reason text,
      error text,
      attempt int
    )`);
    await q.query(`CREATE INDEX service_instance_transitions_instance ON service_instance_transitions (instance_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_instance_transitions`);
    await q.query(`DROP TABLE service_instances`);
  }
}
