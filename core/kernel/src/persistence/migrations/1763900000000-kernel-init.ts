import { MigrationInterface, QueryRunner } from 'typeorm';

export class KernelInit1763900000000 implements MigrationInterface {
  name = 'KernelInit1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE outbox_events (
      id uuid PRIMARY KEY,
      type text NOT NULL,
      tenant_id uuid,
      payload jsonb NOT NULL,
      occurred_at timestamptz NOT NULL,
      published_at timestamptz
    )`);
    await q.query(`CREATE INDEX outbox_events_unpublished ON outbox_events (id) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE processed_events (
      consumer text NOT NULL,
      event_id uuid NOT NULL,
      processed_at timestamptz NOT NULL,
      PRIMARY KEY (consumer, event_id)
    )`);
    await q.query(`CREATE TABLE audit_events (
      id uuid PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      actor_type text NOT NULL,
      actor_id text NOT NULL,
      tenant_id uuid,
      action text NOT NULL,
      target_type text NOT NULL,
      target_id text,
      data jsonb NOT NULL DEFAULT '{}',
      request_id text
    )`);
    await q.query(`CREATE INDEX audit_events_tenant ON audit_events (tenant_id, id)`);
    await q.query(`CREATE TABLE idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      request_hash text NOT NULL,
      response_status int,
      response_body jsonb,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (scope, key)
    )`);
    await q.query(`CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE processed_events`);
    await q.query(`DROP TABLE outbox_events`);
  }
}
