import { randomBytes, randomUUID } from 'node:crypto';
import { startTestApp, TestApp, tenantBody, userWithRole } from '../support/test-app';

const PASSWORD = 'a-good-long-password';

describe('users, invitations and memberships', () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  let emails = 0;

  const nextEmail = (label = 'user') => `${label}-${++emails}@example.test`;

  async function createTenant(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody(overrides));
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  function invite(token: string, tenantId: string, email: string, role = 'tenant_member', displayName?: string) {
    return t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(token)).send({ email, role, ...(displayName ? { displayName } : {}) });
  }

  const mailsTo = (email: string) => t.mailer.sent.filter((m) => m.to === email.toLowerCase());

  function login(email: string, password: string) {
    return t.http.post('/v1/auth/login').send({ email, password });
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_ATTEMPTS_PER_IP: '100000' });
    admin = await t.adminToken();
    adminId = (await t.http.get('/v1/me').set(t.auth(admin))).body.user.id;
  });
  afterAll(() => t?.close());

  describe('invitations', () => {
    it('invite a new user: 201, status invited, a mail with a token; accepting sets the password and logs in', async () => {
      const org = await createTenant({ name: 'Lovelace Labs' });
      const email = nextEmail('Ada');
      const res = await invite(admin, org.id, email, 'tenant_member', 'Ada Lovelace');
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        user: { id: expect.any(String), email: email.toLowerCase(), displayName: 'Ada Lovelace', status: 'invited', createdAt: expect.any(String), deactivatedAt: null },
        membership: { id: expect.any(String), userId: res.body.user.id, tenantId: org.id, role: 'tenant_member', createdAt: expect.any(String) },
        invitationExpiresAt: expect.any(String),
      });
      const ttlDays = (new Date(res.body.invitationExpiresAt).getTime() - Date.now()) / 86400_000;
      expect(ttlDays).toBeGreaterThan(6.9);
      expect(ttlDays).toBeLessThanOrEqual(7);

      const mails = mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0].subject).toContain('Lovelace Labs');
      const token = t.mailer.lastToken(email);
      // only the hash is stored, and an invited account cannot log in yet
      const stored: Array<{ token_hash: string }> = await t.dataSource.query(`SELECT token_hash FROM user_tokens WHERE user_id = $1`, [res.body.user.id]);
      expect(stored).toHaveLength(1);
      expect(stored[0].token_hash).not.toContain(token);
      expect((await login(email, PASSWORD)).status).toBe(401);

      const accepted = await t.http.post('/v1/auth/invitations/accept').send({ token, password: PASSWORD });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
      const me = await t.http.get('/v1/me').set(t.auth(accepted.body.accessToken));
      expect(me.body.user).toMatchObject({ id: res.body.user.id, status: 'active', memberships: [expect.objectContaining({ tenantId: org.id, role: 'tenant_member', tenantName: 'Lovelace Labs' })] });
      await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(accepted.body.accessToken)).expect(200);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('an invitation token works once', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const token = t.mailer.lastToken(email);
      await t.http.post('/v1/auth/invitations/accept').send({ token, password: PASSWORD }).expect(200);
      const again = await t.http.post('/v1/auth/invitations/accept').send({ token, password: 'an-attackers-password' });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('auth.invalid_token');
      expect((await login(email, 'an-attackers-password')).status).toBe(401);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('an unknown, expired or superseded token answers 400 auth.invalid_token and activates nothing', async () => {
      const unknown = await t.http.post('/v1/auth/invitations/accept').send({ token: randomBytes(32).toString('base64url'), password: PASSWORD });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('auth.invalid_token');

      const org = await createTenant();
      const email = nextEmail();
      const invited = (await invite(admin, org.id, email).expect(201)).body;
      await t.dataSource.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [invited.user.id]);
      const expired = await t.http.post('/v1/auth/invitations/accept').send({ token: t.mailer.lastToken(email), password: PASSWORD });
      expect(expired.status).toBe(400);
      expect(expired.body.code).toBe('auth.invalid_token');

      // inviting again (another tenant) sends a fresh token and kills the older one
      const first = t.mailer.lastToken(email);
      const other = await createTenant();
      await invite(admin, other.id, email).expect(201);
      const second = t.mailer.lastToken(email);
      expect(second).not.toBe(first);
      await t.dataSource.query(`UPDATE user_tokens SET expires_at = now() + interval '1 day' WHERE user_id = $1`, [invited.user.id]);
      const superseded = await t.http.post('/v1/auth/invitations/accept').send({ token: first, password: PASSWORD });
      expect(superseded.body.code).toBe('auth.invalid_token');
      const [user] = await t.dataSource.query(`SELECT status, password_hash FROM users WHERE id = $1`, [invited.user.id]);
      expect(user).toEqual({ status: 'invited', password_hash: null });
      await t.http.post('/v1/auth/invitations/accept').send({ token: second, password: PASSWORD }).expect(200);
    });

    it('refuses a short password on accept with 400 request.validation_failed and keeps the token usable', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const token = t.mailer.lastToken(email);
      const short = await t.http.post('/v1/auth/invitations/accept').send({ token, password: 'short' });
      expect(short.status).toBe(400);
      expect(short.body.code).toBe('request.validation_failed');
      expect(short.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      await t.http.post('/v1/auth/invitations/accept').send({ token, password: PASSWORD }).expect(200);
    });

    it('inviting an existing active user adds a membership without a new token or mail', async () => {
      const a = await createTenant();
      const b = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, a.id, 'tenant_member', email);
      expect((await t.http.get(`/v1/tenants/${b.id}`).set(t.auth(user.accessToken))).status).toBe(404);
      const mailsBefore = mailsTo(email).length;
      const tokensBefore = await t.dataSource.query(`SELECT id FROM user_tokens WHERE user_id = $1`, [user.userId]);

      const res = await invite(admin, b.id, email.toUpperCase(), 'tenant_admin');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ user: { id: user.userId, status: 'active' }, membership: { tenantId: b.id, role: 'tenant_admin' }, invitationExpiresAt: null });
      expect(mailsTo(email)).toHaveLength(mailsBefore);
      expect(await t.dataSource.query(`SELECT id FROM user_tokens WHERE user_id = $1`, [user.userId])).toEqual(tokensBefore);
      // the existing access token sees the new tenant at once
      await t.http.get(`/v1/tenants/${b.id}`).set(t.auth(user.accessToken)).expect(200);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('refuses a duplicate membership with 409 membership.exists (also with another spelling of the e-mail)', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const before = await t.countRows();
      for (const spelling of [email, email.toUpperCase()]) {
        const res = await invite(admin, org.id, spelling);
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('membership.exists');
      }
      const after = await t.countRows();
      expect(after.memberships).toBe(before.memberships);
      expect(after.users).toBe(before.users);
      // another role on the same tenant is a different membership
      await invite(admin, org.id, email, 'billing_viewer').expect(201);
    });

    it('refuses to grant a role higher than the inviter\'s own (403 membership.role_too_high)', async () => {
      const org = await createTenant();
      const orgAdmin = await userWithRole(t, admin, org.id, 'tenant_admin', nextEmail('org-admin'));
      for (const role of ['reseller_admin', 'operator_admin']) {
        const res = await invite(orgAdmin.accessToken, org.id, nextEmail(), role);
        expect({ role, status: res.status, code: res.body.code }).toEqual({ role, status: 403, code: 'membership.role_too_high' });
      }
      const member = await userWithRole(t, admin, org.id, 'tenant_member', nextEmail('member'));
      const byMember = await invite(member.accessToken, org.id, nextEmail(), 'tenant_member');
      expect(byMember.status).toBe(403);
      // equal or lower ranks are fine
      await invite(orgAdmin.accessToken, org.id, nextEmail(), 'tenant_admin').expect(201);
      await invite(orgAdmin.accessToken, org.id, nextEmail(), 'billing_viewer').expect(201);
    });

    it('refuses roles that do not fit the tenant kind with 422 membership.invalid_role', async () => {
      const org = await createTenant();
      const reseller = await createTenant({ kind: 'reseller' });
      const cases: Array<[string, string]> = [[org.id, 'operator_admin'], [org.id, 'reseller_admin'], [reseller.id, 'operator_admin']];
      for (const [tenantId, role] of cases) {
        const res = await invite(admin, tenantId, nextEmail(), role);
        expect({ role, status: res.status, code: res.body.code }).toEqual({ role, status: 422, code: 'membership.invalid_role' });
      }
      await invite(admin, reseller.id, nextEmail(), 'reseller_admin').expect(201);
    });
  });

  describe('password reset', () => {
    it('answers 202 for an unknown address and sends no mail', async () => {
      const before = t.mailer.sent.length;
      const res = await t.http.post('/v1/auth/password-reset').send({ email: 'nobody-here@example.test' });
      expect(res.status).toBe(202);
      expect(res.text).toBe('');
      expect(t.mailer.sent.length).toBe(before);
    });

    it('answers 202 for an invited (not yet active) account and sends it no reset mail', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const before = mailsTo(email).length;
      await t.http.post('/v1/auth/password-reset').send({ email }).expect(202);
      expect(mailsTo(email)).toHaveLength(before);
    });

    it('sets a new password with the mailed token: the old password fails, sessions end, the token works once', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, org.id, 'tenant_member', email);
      const otherSession = (await login(email, PASSWORD)).body;

      const res = await t.http.post('/v1/auth/password-reset').send({ email: email.toUpperCase() });
      expect(res.status).toBe(202);
      const mail = mailsTo(email).at(-1)!;
      expect(mail.subject).toMatch(/reset/i);
      const token = t.mailer.lastToken(email);

      const newPassword = 'a-brand-new-passphrase';
      const confirmed = await t.http.post('/v1/auth/password-reset/confirm').send({ token, password: newPassword });
      expect(confirmed.status).toBe(204);
      expect((await login(email, PASSWORD)).status).toBe(401);
      expect((await login(email, newPassword)).status).toBe(200);
      for (const refreshToken of [user.refreshToken, otherSession.refreshToken]) {
        const refreshed = await t.http.post('/v1/auth/refresh').send({ refreshToken });
        expect(refreshed.status).toBe(401);
        expect(refreshed.body.code).toBe('auth.invalid_refresh_token');
      }
      const again = await t.http.post('/v1/auth/password-reset/confirm').send({ token, password: 'yet-another-passphrase' });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('auth.invalid_token');
      expect((await login(email, newPassword)).status).toBe(200);
    });

    it('a newer reset request invalidates the older link; expired and unknown tokens answer 400 auth.invalid_token', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, org.id, 'tenant_member', email);
      await t.http.post('/v1/auth/password-reset').send({ email }).expect(202);
      const first = t.mailer.lastToken(email);
      await t.http.post('/v1/auth/password-reset').send({ email }).expect(202);
      const second = t.mailer.lastToken(email);
      expect(second).not.toBe(first);
      expect((await t.http.post('/v1/auth/password-reset/confirm').send({ token: first, password: 'never-used-passphrase' })).body.code).toBe('auth.invalid_token');

      await t.dataSource.query(`UPDATE user_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND kind = 'password_reset'`, [user.userId]);
      expect((await t.http.post('/v1/auth/password-reset/confirm').send({ token: second, password: 'never-used-passphrase' })).body.code).toBe('auth.invalid_token');
      const unknown = await t.http.post('/v1/auth/password-reset/confirm').send({ token: 'unknown-token-value', password: 'never-used-passphrase' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('auth.invalid_token');
      expect((await login(email, PASSWORD)).status).toBe(200);
    });
  });

  describe('deactivation', () => {
    it('ends the access and refresh tokens at once and blocks login; reactivation restores login', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, org.id, 'tenant_member', email);
      const untouched = (await login(email, PASSWORD)).body; // a second session, not used until after reactivation
      await t.http.get('/v1/me').set(t.auth(user.accessToken)).expect(200);

      const res = await t.http.post(`/v1/users/${user.userId}/deactivate`).set(t.auth(admin)).send();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.userId, status: 'deactivated', deactivatedAt: expect.any(String) });
      const live = await t.dataSource.query(`SELECT id FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, [user.userId]);
      expect(live).toEqual([]);

      const me = await t.http.get('/v1/me').set(t.auth(user.accessToken));
      expect(me.status).toBe(401);
      expect(me.body.code).toBe('auth.invalid_token');
      expect((await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(user.accessToken))).status).toBe(401);
      expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: user.refreshToken })).status).toBe(401);
      const loginRes = await login(email, PASSWORD);
      expect(loginRes.status).toBe(401);
      expect(loginRes.body.code).toBe('auth.invalid_credentials');
      // a deactivated account gets no reset link either
      const before = mailsTo(email).length;
      await t.http.post('/v1/auth/password-reset').send({ email }).expect(202);
      expect(mailsTo(email)).toHaveLength(before);

      const again = await t.http.post(`/v1/users/${user.userId}/deactivate`).set(t.auth(admin)).send();
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('user.already_deactivated');

      const reactivated = await t.http.post(`/v1/users/${user.userId}/reactivate`).set(t.auth(admin)).send();
      expect(reactivated.status).toBe(200);
      expect(reactivated.body).toMatchObject({ status: 'active', deactivatedAt: null });
      const fresh = await login(email, PASSWORD);
      expect(fresh.status).toBe(200);
      await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(fresh.body.accessToken)).expect(200);
      // sessions ended by the deactivation stay ended
      for (const session of [user, untouched]) {
        expect((await t.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken })).status).toBe(401);
      }
      const notDeactivated = await t.http.post(`/v1/users/${user.userId}/reactivate`).set(t.auth(admin)).send();
      expect(notDeactivated.status).toBe(409);
      expect(notDeactivated.body.code).toBe('user.not_deactivated');
    });

    it('cannot deactivate yourself (403 user.self_deactivation)', async () => {
      const res = await t.http.post(`/v1/users/${adminId}/deactivate`).set(t.auth(admin)).send();
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('user.self_deactivation');
      await t.http.get('/v1/me').set(t.auth(admin)).expect(200);
    });

    it('needs users:write over every tenant the user belongs to', async () => {
      const a = await createTenant();
      const b = await createTenant();
      const aAdmin = await userWithRole(t, admin, a.id, 'tenant_admin', nextEmail('a-admin'));
      const email = nextEmail();
      const user = await userWithRole(t, admin, a.id, 'tenant_member', email);
      await invite(admin, b.id, email).expect(201);
      const res = await t.http.post(`/v1/users/${user.userId}/deactivate`).set(t.auth(aAdmin.accessToken)).send();
      expect(res.status).toBe(403);
      await t.http.get('/v1/me').set(t.auth(user.accessToken)).expect(200);
      const unknown = await t.http.post(`/v1/users/${randomUUID()}/deactivate`).set(t.auth(admin)).send();
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('user.not_found');
    });
  });

  describe('memberships', () => {
    it('removing a membership takes the access away at once (the tenant answers 404 afterwards)', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, org.id, 'tenant_member', email);
      const [membership] = (await t.http.get(`/v1/users/${user.userId}`).set(t.auth(admin))).body.memberships;
      await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(user.accessToken)).expect(200);

      const res = await t.http.delete(`/v1/memberships/${membership.id}`).set(t.auth(admin));
      expect(res.status).toBe(204);
      const after = await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(user.accessToken));
      expect(after.status).toBe(404);
      expect(after.body.code).toBe('tenant.not_found');
      expect((await t.http.get('/v1/me').set(t.auth(user.accessToken))).body.user.memberships).toEqual([]);
      const again = await t.http.delete(`/v1/memberships/${membership.id}`).set(t.auth(admin));
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('membership.not_found');
    });

    it('the last operator admin cannot be removed (409 membership.last_operator_admin); one of two can', async () => {
      const me = (await t.http.get('/v1/me').set(t.auth(admin))).body.user;
      const own = me.memberships.find((m: { role: string }) => m.role === 'operator_admin');
      const last = await t.http.delete(`/v1/memberships/${own.id}`).set(t.auth(admin));
      expect(last.status).toBe(409);
      expect(last.body.code).toBe('membership.last_operator_admin');
      await t.http.get('/v1/me').set(t.auth(admin)).expect(200);

      const second = await invite(admin, t.operatorTenantId, nextEmail('second-operator'), 'operator_admin');
      expect(second.status).toBe(201);
      await t.http.delete(`/v1/memberships/${second.body.membership.id}`).set(t.auth(admin)).expect(204);
      expect((await t.http.delete(`/v1/memberships/${own.id}`).set(t.auth(admin))).status).toBe(409);
    });

    it('a tenant admin cannot remove memberships outside their subtree (404) or above their rank (403)', async () => {
      const org = await createTenant();
      const other = await createTenant();
      const orgAdmin = await userWithRole(t, admin, org.id, 'tenant_admin', nextEmail('org-admin'));
      const outsider = (await invite(admin, other.id, nextEmail())).body;
      expect((await t.http.delete(`/v1/memberships/${outsider.membership.id}`).set(t.auth(orgAdmin.accessToken))).status).toBe(404);
      const me = (await t.http.get('/v1/me').set(t.auth(admin))).body.user;
      const operatorMembership = me.memberships.find((m: { role: string }) => m.role === 'operator_admin');
      expect((await t.http.delete(`/v1/memberships/${operatorMembership.id}`).set(t.auth(orgAdmin.accessToken))).status).toBe(404);

      const reseller = await createTenant({ kind: 'reseller' });
      const resellerAdmin = (await invite(admin, reseller.id, nextEmail('reseller-admin'), 'reseller_admin').expect(201)).body;
      const lowerAdmin = await userWithRole(t, admin, reseller.id, 'tenant_admin', nextEmail('lower-admin'));
      const above = await t.http.delete(`/v1/memberships/${resellerAdmin.membership.id}`).set(t.auth(lowerAdmin.accessToken));
      expect(above.status).toBe(403);
      expect(above.body.code).toBe('auth.forbidden');
      expect(await t.dataSource.query(`SELECT id FROM memberships WHERE id = $1`, [resellerAdmin.membership.id])).toHaveLength(1);
    });

    it('GET /v1/users/:id shows the user with the memberships the caller may see', async () => {
      const a = await createTenant({ name: 'Tenant A for users' });
      const b = await createTenant({ name: 'Tenant B for users' });
      const email = nextEmail();
      const user = await userWithRole(t, admin, a.id, 'tenant_member', email);
      await invite(admin, b.id, email, 'billing_viewer').expect(201);

      const res = await t.http.get(`/v1/users/${user.userId}`).set(t.auth(admin));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.userId, email, status: 'active', deactivatedAt: null });
      expect(res.body.memberships.map((m: any) => [m.tenantId, m.tenantName, m.role]).sort()).toEqual(
        [[a.id, 'Tenant A for users', 'tenant_member'], [b.id, 'Tenant B for users', 'billing_viewer']].sort(),
      );
      expect(res.body).not.toHaveProperty('passwordHash');

      const aAdmin = await userWithRole(t, admin, a.id, 'tenant_admin', nextEmail('a-admin'));
      const seenByA = await t.http.get(`/v1/users/${user.userId}`).set(t.auth(aAdmin.accessToken));
      expect(seenByA.body.memberships.map((m: { tenantId: string }) => m.tenantId)).toEqual([a.id]);
      // the user sees all of their own memberships
      const self = await t.http.get(`/v1/users/${user.userId}`).set(t.auth(user.accessToken));
      expect(self.body.memberships).toHaveLength(2);

      const outsider = await userWithRole(t, admin, (await createTenant()).id, 'tenant_admin', nextEmail('outsider'));
      const hidden = await t.http.get(`/v1/users/${user.userId}`).set(t.auth(outsider.accessToken));
      expect(hidden.status).toBe(404);
      expect(hidden.body.code).toBe('user.not_found');
      expect((await t.http.get(`/v1/users/${randomUUID()}`).set(t.auth(admin))).status).toBe(404);
    });

    it('lists the members of a tenant with their users', async () => {
      const org = await createTenant();
      const emailA = nextEmail();
      const emailB = nextEmail();
      await invite(admin, org.id, emailA).expect(201);
      await invite(admin, org.id, emailB, 'tenant_admin').expect(201);
      const res = await t.http.get(`/v1/tenants/${org.id}/memberships?limit=1`).set(t.auth(admin));
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
      const rest = await t.http.get(`/v1/tenants/${org.id}/memberships?limit=1&cursor=${res.body.nextCursor}`).set(t.auth(admin));
      expect(rest.body.nextCursor).toBeNull();
      const all = [...res.body.items, ...rest.body.items];
      expect(all.map((x: any) => [x.user.email, x.membership.role]).sort()).toEqual([[emailA, 'tenant_member'], [emailB, 'tenant_admin']].sort());
    });
  });

  it('records user and membership commands in the audit trail', async () => {
    const org = await createTenant();
    const email = nextEmail();
    const user = await userWithRole(t, admin, org.id, 'tenant_member', email);
    await t.http.post(`/v1/users/${user.userId}/deactivate`).set(t.auth(admin)).send().expect(200);
    await t.http.post(`/v1/users/${user.userId}/reactivate`).set(t.auth(admin)).send().expect(200);
    const membershipId = (await t.http.get(`/v1/users/${user.userId}`).set(t.auth(admin))).body.memberships[0].id;
    await t.http.delete(`/v1/memberships/${membershipId}`).set(t.auth(admin)).expect(204);

    const res = await t.http.get(`/v1/audit-events?tenantId=${org.id}`).set(t.auth(admin));
    const userEvents = res.body.items.filter((e: any) => e.target.type === 'user' && e.target.id === user.userId);
    expect(userEvents.map((e: any) => e.action).sort()).toEqual(['membership.added', 'membership.removed', 'user.deactivated', 'user.reactivated']);
    for (const e of userEvents) expect(e.actor).toEqual({ type: 'user', id: adminId });
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]);
    expect(n).toBe(1); // nothing is deleted: the account stays
  });
});
