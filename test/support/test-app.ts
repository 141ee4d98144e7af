// Boots the real API (Fastify, Postgres, Redis) for an e2e suite, on a database of its own:
// the plugin testkit's test environment, which plugin authors use too.
//
//   const t = await startTestApp();            // in beforeAll
//   await t.http.get('/v1/me').set(t.auth(await t.adminToken()));
//   await t.close();                           // in afterAll
import type { PluginCandidate } from '@werkbank/plugin-host';
import { createTestEnvironment, TestEnvironment } from '@werkbank/plugin-testkit';

export { ADMIN_EMAIL, ADMIN_PASSWORD, MemoryMailer, TEST_ENCRYPTION_KEY, TEST_JWT_SECRET } from '@werkbank/plugin-testkit';

export type TestApp = TestEnvironment;

/** `plugins`: load these instead of discovering plugins (see test/fixtures/plugins). No worker unless asked. */
export function startTestApp(env: Record<string, string> = {}, plugins?: PluginCandidate[], options: { worker?: boolean } = {}): Promise<TestApp> {
  return createTestEnvironment({ env, plugins, worker: options.worker ?? false });
}
let counter = 0;
/** A valid tenant body; override what the test is about. */
export function tenantBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return { name: `Tenant ${counter}`, legalName: `Tenant ${counter} GmbH`, country: 'DE', currency: 'EUR', billingEmail: `billing${counter}@example.test`, ...overrides };
}

/** Invites `email` with `role` on `tenantId`, accepts the invitation (creating the account if needed), and returns the user's tokens. */
export async function userWithRole(t: TestApp, inviterToken: string, tenantId: string, role: string, email: string): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
  const invite = await t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(inviterToken)).send({ email, role });
  if (invite.status !== 201) throw new Error(`invite failed: ${invite.status} ${JSON.stringify(invite.body)}`);
  const accepted = await t.http.post('/v1/auth/invitations/accept').send({ token: t.mailer.lastToken(email), password: 'a-good-long-password' });
  if (accepted.status !== 200 && accepted.status !== 204) throw new Error(`accept failed: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  // 200: a new account, logged in; 204: an existing account, which logs in as usual
  const session = accepted.status === 200 ? accepted.body : await t.login(email, 'a-good-long-password');
  const me = await t.http.get('/v1/me').set(t.auth(session.accessToken));
  return { accessToken: session.accessToken, refreshToken: session.refreshToken, userId: me.body.user.id };
}
