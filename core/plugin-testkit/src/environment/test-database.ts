import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server to create test databases on: the e2e global setup's, or the developer's DATABASE_URL. */
export function adminDatabaseUrl(): string {
  const url = process.env.WERKBANK_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      'No PostgreSQL for the test environment: run the test through the e2e Jest project (npm test; its global setup starts one), ' +
        'or set WERKBANK_TEST_ADMIN_DATABASE_URL (or DATABASE_URL) to a server where this user may CREATE DATABASE.',
    );
  }
  const u = new URL(url);
  if (!process.env.WERKBANK_TEST_ADMIN_DATABASE_URL) u.pathname = '/postgres';
  return u.toString();
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminDatabaseUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** An empty database `wbk_test_<random>` of its own, dropped by `drop()`. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wbk_test_${randomBytes(8).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop() {
      dropped ??= withAdmin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** The Redis for the test environment: the e2e global setup's, or REDIS_URL. */
export function testRedisUrl(): string {
  const url = process.env.WERKBANK_TEST_REDIS_URL ?? process.env.REDIS_URL;
  if (!url) throw new Error('No Redis for the test environment: run through the e2e Jest project (npm test), or set WERKBANK_TEST_REDIS_URL.');
  return url;
}
