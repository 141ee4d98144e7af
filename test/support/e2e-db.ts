// Isolated databases for e2e suites, on the server that test/jest.global-setup.mjs provides.
//
//   let db: { url: string; drop(): Promise<void> };
//   beforeAll(async () => { db = await createTestDatabase(); });   // then migrate db.url
//   afterAll(() => db.drop());
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

// `pg` ships no type declarations (and @types/pg is not installed): describe the part used here.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  escapeIdentifier(name: string): string;
}
interface PgModule {
  Client: new (config: { connectionString: string; connectionTimeoutMillis?: number }) => PgClient;
}
const { Client } = createRequire(__filename)('pg') as PgModule;

function adminUrl(): string {
  const url = process.env.WERKBANK_TEST_ADMIN_DATABASE_URL;
  if (!url) {
    throw new Error(
      'WERKBANK_TEST_ADMIN_DATABASE_URL is not set: run e2e tests through Jest\'s e2e project ' +
        '(npm test, or npx jest --selectProjects e2e), whose globalSetup starts PostgreSQL.',
    );
  }
  return url;
}

async function withAdminClient<T>(fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates an empty database `wbk_test_<random hex>` and returns its URL and a drop(). */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `wbk_test_${randomBytes(8).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop() {
      dropped ??= withAdminClient(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}
