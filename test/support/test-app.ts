// Boots the real API (Fastify, Postgres, Redis) for an e2e suite, on a database of its own.
//
//   const t = await startTestApp();            // in beforeAll
//   await t.http.get('/v1/me').set(t.auth(await t.adminToken()));
//   await t.close();                           // in afterAll
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, MAILER, MailMessage, Mailer, SystemClock, WerkbankConfig } from '@werkbank/kernel';
import { runMigrations, dataSourceOptions } from '@werkbank/database';
import { bootstrapOperator } from '@werkbank/tenancy';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../apps/api/src/app.factory';
import { createTestDatabase } from './e2e-db';

/** Captures mail instead of sending it, so tests can follow invitation and reset links. */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  /** The token in the last mail to `to`. */
  lastToken(to: string): string {
    const mail = [...this.sent].reverse().find((m) => m.to === to.toLowerCase());
    const match = mail && /token=([A-Za-z0-9_-]+)/.exec(mail.text);
    if (!match) throw new Error(`no mail with a token to ${to}`);
    return match[1];
  }
}

export const ADMIN_EMAIL = 'operator@example.test';
export const ADMIN_PASSWORD = 'operator-password-123';
export const TEST_JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e-secret';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof request>;
  config: WerkbankConfig;
  dataSource: DataSource;
  mailer: MemoryMailer;
  operatorTenantId: string;
  auth(token: string): { Authorization: string };
  login(email: string, password: string): Promise<{ accessToken: string; refreshToken: string }>;
  adminToken(): Promise<string>;
  countRows(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const redisUrl = process.env.WERKBANK_TEST_REDIS_URL;
  if (!redisUrl) throw new Error('WERKBANK_TEST_REDIS_URL is not set: run through the e2e Jest project');
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    // One Redis database per suite keeps rate-limit counters of parallel suites apart.
    REDIS_URL: `${redisUrl}/${1 + Math.floor(Math.random() * 15)}`,
    JWT_SECRET: TEST_JWT_SECRET,
    WERKBANK_ADMIN_EMAIL: ADMIN_EMAIL,
    WERKBANK_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // WERKBANK_TEST_LOGS=1 shows the app's logs when a test needs explaining
    LOG_LEVEL: process.env.WERKBANK_TEST_LOGS === '1' ? 'debug' : 'silent',
    ...env,
  });
  await runMigrations(config.databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl));
  await dataSource.initialize();
  const boot = await bootstrapOperator(dataSource, config, new SystemClock());
  const mailer = new MemoryMailer();
  const app = await createApp(config, { logger: process.env.WERKBANK_TEST_LOGS === '1', overrides: [{ provide: MAILER, useValue: mailer }] });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const http = request(app.getHttpServer());
  let adminToken: string | undefined;

  const t: TestApp = {
    app, http, config, dataSource, mailer, operatorTenantId: boot.operatorTenantId,
    auth: (token) => ({ Authorization: `Bearer ${token}` }),
    async login(email, password) {
      const res = await http.post('/v1/auth/login').send({ email, password });
      if (res.status !== 200) throw new Error(`login of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async adminToken() {
      adminToken ??= (await t.login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
      return adminToken;
    },
    async countRows() {
      const tables: Array<{ table_name: string }> = await dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations'`,
      );
      const counts: Record<string, number> = {};
      for (const { table_name } of tables) {
        const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM "${table_name}"`);
        counts[table_name] = n;
      }
      return counts;
    },
    async close() {
      await app.close();
      await dataSource.destroy();
      await db.drop();
    },
  };
  return t;
}

let counter = 0;
/** A valid tenant body; override what the test is about. */
export function tenantBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return { name: `Tenant ${counter}`, legalName: `Tenant ${counter} GmbH`, country: 'DE', currency: 'EUR', billingEmail: `billing${counter}@example.test`, ...overrides };
}

/** Invites `email` with `role` on `tenantId`, accepts the invitation, and returns the user's tokens. */
export async function userWithRole(t: TestApp, inviterToken: string, tenantId: string, role: string, email: string): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
  const invite = await t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(inviterToken)).send({ email, role });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  if (invite.body.invitationExpiresAt) {
    const accepted = await t.http.post('/v1/auth/invitations/accept').send({ token: t.mailer.lastToken(email), password: 'a-good-long-password' });
    if (accepted.status !== 200) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
    return { ...accepted.body, userId: invite.body.user.id };
  }
  return { ...(await t.login(email, 'a-good-long-password')), userId: invite.body.user.id };
}
