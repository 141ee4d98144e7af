// The e2e environment from test/jest.global-setup.mjs: PostgreSQL with one isolated
// database per suite (test/support/e2e-db.ts) and Redis.
import { createRequire } from 'node:module';
import Redis from 'ioredis';
import { createTestDatabase } from '../support/e2e-db';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
const { Client } = createRequire(__filename)('pg') as {
  Client: new (config: { connectionString: string }) => PgClient;
};

async function query(url: string, sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('e2e test environment', () => {
  it('exports the service URLs', () => {
    expect(process.env.WERKBANK_TEST_DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    expect(process.env.WERKBANK_TEST_ADMIN_DATABASE_URL).toMatch(/^postgres(ql)?:\/\/.*\/postgres$/);
    expect(process.env.WERKBANK_TEST_REDIS_URL).toMatch(/^rediss?:\/\//);
  });

  it('reaches the shared werkbank database', async () => {
    const [row] = await query(process.env.WERKBANK_TEST_DATABASE_URL as string, 'SELECT current_database() AS db');
    expect(row.db).toEqual(expect.any(String));
  });

  it('gives each caller its own database and drops it again', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.url).not.toEqual(b.url);
      expect(new URL(a.url).pathname).toMatch(/^\/wbk_test_[0-9a-f]{16}$/);
      await query(a.url, 'CREATE TABLE probe (id int PRIMARY KEY)');
      await query(a.url, 'INSERT INTO probe VALUES (1)');
      expect(await query(a.url, 'SELECT id FROM probe')).toEqual([{ id: 1 }]);
      await expect(query(b.url, 'SELECT id FROM probe')).rejects.toThrow(/does not exist/);
    } finally {
      await a.drop();
      await b.drop();
      await b.drop(); // idempotent
    }
    const admin = process.env.WERKBANK_TEST_ADMIN_DATABASE_URL as string;
    const left = await query(admin, 'SELECT datname FROM pg_database WHERE datname = ANY($1)', [
      [a.url, b.url].map((url) => new URL(url).pathname.slice(1)),
    ]);
    expect(left).toEqual([]);
  });

  it('drops a database that still has open connections', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    (client as unknown as { on(event: string, fn: () => void): void }).on('error', () => undefined);
    await db.drop();
    await client.end().catch(() => undefined);
    const admin = process.env.WERKBANK_TEST_ADMIN_DATABASE_URL as string;
    expect(await query(admin, 'SELECT 1 FROM pg_database WHERE datname = $1', [new URL(db.url).pathname.slice(1)])).toEqual([]);
  });

  it('reaches Redis (AOF on, noeviction when started by the setup)', async () => {
    const redis = new Redis(process.env.WERKBANK_TEST_REDIS_URL as string, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.ping()).toBe('PONG');
      if (!process.env.REDIS_URL) {
        expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
        expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      }
    } finally {
      redis.disconnect();
    }
  });
});
