import { createHmac } from 'node:crypto';
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, TEST_JWT_SECRET, TestApp, tenantBody } from '../support/test-app';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Builds a JWT by hand, so the tests control every header and claim. */
function jwt(header: object, claims: object, secret = TEST_JWT_SECRET): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

describe('authentication', () => {
  let t: TestApp;
  let adminId: string;
  const now = () => Math.floor(Date.now() / 1000);
  const validClaims = () => ({ sub: adminId, typ: 'access', iss: 'werkbank', aud: 'werkbank-api', iat: now(), exp: now() + 300 });

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_ATTEMPTS_PER_ACCOUNT: '3' });
    const me = await t.http.get('/v1/me').set(t.auth(await t.adminToken()));
    adminId = me.body.user.id;
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('exchanges e-mail and password for an access and a refresh token', async () => {
      const res = await t.http.post('/v1/auth/login').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
      const me = await t.http.get('/v1/me').set(t.auth(res.body.accessToken));
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe(ADMIN_EMAIL);
      expect(me.body.user.memberships).toEqual([expect.objectContaining({ role: 'operator_admin', tenantId: t.operatorTenantId })]);
    });

    it('answers 401 problem+json for a wrong password and for an unknown account alike', async () => {
      const wrong = await t.http.post('/v1/auth/login').send({ email: ADMIN_EMAIL, password: 'not-the-password' });
      const unknown = await t.http.post('/v1/auth/login').send({ email: 'nobody@example.test', password: 'whatever-it-is' });
      for (const res of [wrong, unknown]) {
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('auth.invalid_credentials');
      }
      await t.http.post('/v1/auth/login').send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).expect(200);
    });

    it('rate-limits failed logins per account with 429 auth.rate_limited, even for the right password', async () => {
      const email = 'limited@example.test';
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await t.http.post('/v1/auth/login').send({ email, password: 'wrong-password-x' })).status);
      expect(codes).toEqual([401, 401, 401, 429]);
      const limited = await t.http.post('/v1/auth/login').send({ email, password: 'wrong-password-x' });
      expect(limited.body.code).toBe('auth.rate_limited');
      expect(limited.body.retryAfter).toBeGreaterThan(0);
    });

  });

  describe('refresh tokens', () => {
    it('rotate: each refresh token works once and yields a new pair', async () => {
      const first = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const second = await t.http.post('/v1/auth/refresh').send({ refreshToken: first.refreshToken });
      expect(second.status).toBe(200);
      expect(second.body.refreshToken).not.toBe(first.refreshToken);
      const third = await t.http.post('/v1/auth/refresh').send({ refreshToken: second.body.refreshToken });
      expect(third.status).toBe(200);
      await t.http.get('/v1/me').set(t.auth(third.body.accessToken)).expect(200);
    });

    it('reuse of a rotated token revokes the whole family, including the newest token', async () => {
      const first = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const second = await t.http.post('/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
      const replay = await t.http.post('/v1/auth/refresh').send({ refreshToken: first.refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('auth.invalid_refresh_token');
      const legit = await t.http.post('/v1/auth/refresh').send({ refreshToken: second.body.refreshToken });
      expect(legit.status).toBe(401);
    });

    it('does not touch other sessions when one family is revoked', async () => {
      const a = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const b = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      await t.http.post('/v1/auth/refresh').send({ refreshToken: a.refreshToken }).expect(200);
      await t.http.post('/v1/auth/refresh').send({ refreshToken: a.refreshToken }).expect(401);
      await t.http.post('/v1/auth/refresh').send({ refreshToken: b.refreshToken }).expect(200);
    });

    it('logout revokes the refresh token', async () => {
      const session = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      await t.http.post('/v1/auth/logout').send({ refreshToken: session.refreshToken }).expect(204);
      const res = await t.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken });
      expect(res.status).toBe(401);
    });

    it('rejects a forged refresh token', async () => {
      const session = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
      const [id] = session.refreshToken.split('.');
      const res = await t.http.post('/v1/auth/refresh').send({ refreshToken: `${id}.forged-secret` });
      expect(res.status).toBe(401);
      await t.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
    });
  });

  describe('access tokens (JWT)', () => {
    it('accepts a correctly signed token with the pinned algorithm, issuer and audience', async () => {
      await t.http.get('/v1/me').set(t.auth(jwt({ alg: 'HS256', typ: 'JWT' }, validClaims()))).expect(200);
    });

    it.each([
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(validClaims())}.`],
      ['alg none with a signature', () => jwt({ alg: 'none', typ: 'JWT' }, validClaims())],
      ['another algorithm (HS512 header)', () => jwt({ alg: 'HS512', typ: 'JWT' }, validClaims())],
      ['expired', () => jwt({ alg: 'HS256' }, { ...validClaims(), iat: now() - 1000, exp: now() - 10 })],
      ['wrong audience', () => jwt({ alg: 'HS256' }, { ...validClaims(), aud: 'someone-else' })],
      ['wrong issuer', () => jwt({ alg: 'HS256' }, { ...validClaims(), iss: 'evil' })],
      ['wrongly signed', () => jwt({ alg: 'HS256' }, validClaims(), 'another-secret-another-secret-another-secret')],
      ['no exp', () => jwt({ alg: 'HS256' }, { sub: adminId, typ: 'access', iss: 'werkbank', aud: 'werkbank-api' })],
      ['garbage', () => 'not.a.jwt'],
    ])('rejects a token that is %s with 401 problem+json', async (_name, make) => {
      const res = await t.http.get('/v1/me').set(t.auth(make()));
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toMatch(/^auth\./);
      expect(res.body.user).toBeUndefined();
    });

    it('says that an expired token has expired', async () => {
      const res = await t.http.get('/v1/me').set(t.auth(jwt({ alg: 'HS256' }, { ...validClaims(), iat: now() - 1000, exp: now() - 10 })));
      expect(res.body.code).toBe('auth.token_expired');
    });

    it('requires authentication on every non-public route', async () => {
      for (const path of ['/v1/me', '/v1/tenants', '/v1/audit-events', `/v1/tenants/${t.operatorTenantId}`]) {
        const res = await t.http.get(path);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('auth.unauthenticated');
      }
    });
  });

  describe('API keys', () => {
    it('are shown once, stored only as a hash, and accepted as Bearer', async () => {
      const admin = await t.adminToken();
      const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody())).body;
      const created = await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'ci', scopes: ['tenants:read'] });
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^wbk_[0-9A-Za-z]{30,}$/);
      const stored: Array<{ key_hash: string }> = await t.dataSource.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [created.body.id]);
      expect(stored[0].key_hash).not.toContain(created.body.key.slice(4));
      const listed = await t.http.get(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin));
      expect(JSON.stringify(listed.body)).not.toContain(created.body.key);

      const me = await t.http.get('/v1/me').set(t.auth(created.body.key));
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ kind: 'api_key', apiKey: { id: created.body.id, tenantId: tenant.id } });
      await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(created.body.key)).expect(200);
      const after = await t.http.get(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin));
      expect(after.body.items[0].lastUsedAt).not.toBeNull();
    });

    it('are limited to their scopes', async () => {
      const admin = await t.adminToken();
      const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody())).body;
      const readOnly = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'ro', scopes: ['tenants:read'] })).body.key;
      const everything = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'all', scopes: ['*'] })).body.key;
      const patch = { name: 'Renamed' };
      expect((await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(readOnly)).send(patch)).status).toBe(403);
      expect((await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(everything)).send(patch)).status).toBe(200);
      const child = await t.http.post('/v1/tenants').set(t.auth(everything)).send(tenantBody());
      expect(child.status).toBe(201);
      expect(child.body.parentId).toBe(tenant.id);
    });

    it('stop working when revoked, expired, mistyped or unknown', async () => {
      const admin = await t.adminToken();
      const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody())).body;
      const created = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['*'] })).body;
      await t.http.get('/v1/me').set(t.auth(created.key)).expect(200);
      const typo = created.key.slice(0, -8) + (created.key.at(-8) === 'a' ? 'b' : 'a') + created.key.slice(-7);
      expect((await t.http.get('/v1/me').set(t.auth(typo))).body.code).toBe('auth.invalid_api_key');
      await t.http.delete(`/v1/api-keys/${created.id}`).set(t.auth(admin)).expect(204);
      const revoked = await t.http.get('/v1/me').set(t.auth(created.key));
      expect(revoked.status).toBe(401);
      expect(revoked.body.code).toBe('auth.invalid_api_key');

      const expiring = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'soon', scopes: ['*'], expiresAt: new Date(Date.now() + 1500).toISOString() })).body;
      await t.http.get('/v1/me').set(t.auth(expiring.key)).expect(200);
      await new Promise((r) => setTimeout(r, 1600));
      expect((await t.http.get('/v1/me').set(t.auth(expiring.key))).status).toBe(401);
    });

    it('of a suspended tenant are refused with 403 tenant.suspended', async () => {
      const admin = await t.adminToken();
      const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody())).body;
      const key = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['*'] })).body.key;
      await t.http.post(`/v1/tenants/${tenant.id}/suspend`).set(t.auth(admin)).send({ reason: 'unpaid' }).expect(200);
      const res = await t.http.get('/v1/me').set(t.auth(key));
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('tenant.suspended');
      await t.http.post(`/v1/tenants/${tenant.id}/resume`).set(t.auth(admin)).send({}).expect(200);
      await t.http.get('/v1/me').set(t.auth(key)).expect(200);
    });
  });
});
