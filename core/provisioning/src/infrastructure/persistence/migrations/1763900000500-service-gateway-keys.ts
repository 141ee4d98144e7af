import { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway key of a service instance (SDK 1.2 `ctx.gatewayKeys`): at most one per instance. */
export class ServiceGatewayKeys1763900000500 implements MigrationInterface {
  name = 'ServiceGatewayKeys1763900000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE service_gateway_keys (
      instance_id uuid PRIMARY KEY REFERENCES service_instances(id),
      api_key_id uuid NOT NULL UNIQUE REFERENCES api_keys(id),
      plugin_id text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_gateway_keys`);
  }
}
