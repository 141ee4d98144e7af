import { randomBytes, randomUUID } from 'node:crypto';
import { pruneExpiredTokens } from '@werkbank/tenancy';
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

  const membershipId = async (userId: string, tenantId: string): Promise<string> =>
    (await t.dataSource.query(`SELECT id FROM memberships WHERE user_id = $1 AND tenant_id = $2`, [userId, tenantId]))[0].id;

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
    const INVITATION_KEYS = ['createdAt', 'email', 'expiresAt', 'id', 'invitedBy', 'role', 'status', 'tenantId'];
    const accept = (body: Record<string, unknown>) => t.http.post('/v1/auth/invitations/accept').send(body);
    const decline = (token: string) => t.http.post('/v1/auth/invitations/decline').send({ token });
    const list = (token: string, tenantId: string, query: Record<string, string> = {}) => t.http.get(`/v1/tenants/${tenantId}/invitations`).query(query).set(t.auth(token));
    const membershipsOf = (email: string): Promise<Array<{ tenant_id: string; role: string }>> =>
      t.dataSource.query(`SELECT m.tenant_id, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE lower(u.email) = lower($1) ORDER BY m.id`, [email]);
    const membershipEvents = (tenantId: string): Promise<Array<{ payload: { userId: string; role: string } }>> =>
      t.dataSource.query(`SELECT payload FROM outbox_events WHERE type = 'tenancy.membership_added' AND tenant_id = $1`, [tenantId]);

    it('invite a new address: 201 with a pending invitation, no account and no membership until the mailed token is accepted with a password', async () => {
      const org = await createTenant({ name: 'Lovelace Labs' });
      const email = nextEmail('Ada');
      const res = await invite(admin, org.id, email, 'tenant_member', 'Ada Lovelace');
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        invitation: {
          id: expect.any(String), tenantId: org.id, email: email.toLowerCase(), role: 'tenant_member', status: 'pending',
          invitedBy: `user:${adminId}`, createdAt: expect.any(String), expiresAt: expect.any(String),
        },
      });
      const ttlDays = (new Date(res.body.invitation.expiresAt).getTime() - Date.now()) / 86400_000;
      expect(ttlDays).toBeGreaterThan(6.9);
      expect(ttlDays).toBeLessThanOrEqual(7);
      expect(await t.dataSource.query(`SELECT id FROM users WHERE lower(email) = lower($1)`, [email])).toEqual([]);
      expect(await membershipEvents(org.id)).toEqual([]);

      const mails = mailsTo(email);
      expect(mails).toHaveLength(1);
      expect(mails[0].subject).toContain('Lovelace Labs');
      expect(mails[0].text).toContain('Set your password');
      const token = t.mailer.lastToken(email);
      // only the hash is stored, and nobody can log in with the address yet
      const [stored] = await t.dataSource.query(`SELECT token_hash FROM invitations WHERE id = $1`, [res.body.invitation.id]);
      expect(stored.token_hash).not.toContain(token);
      expect((await login(email, PASSWORD)).status).toBe(401);

      const accepted = await accept({ token, password: PASSWORD });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
      const me = await t.http.get('/v1/me').set(t.auth(accepted.body.accessToken));
      expect(me.body.user).toMatchObject({
        email: email.toLowerCase(), displayName: 'Ada Lovelace', status: 'active',
        memberships: [expect.objectContaining({ tenantId: org.id, role: 'tenant_member', tenantName: 'Lovelace Labs' })],
      });
      expect(await membershipEvents(org.id)).toEqual([{ payload: expect.objectContaining({ userId: me.body.user.id, role: 'tenant_member' }) }]);
      await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(accepted.body.accessToken)).expect(200);
      expect((await login(email, PASSWORD)).status).toBe(200);
      expect((await list(admin, org.id)).body.items).toEqual([]);
    });

    it('inviting an existing active account creates no membership until it accepts with the token alone (204, no session)', async () => {
      const a = await createTenant();
      const b = await createTenant({ name: 'Tenant B for consent' });
      const email = nextEmail();
      const user = await userWithRole(t, admin, a.id, 'tenant_member', email);
      const refreshTokensBefore = await t.dataSource.query(`SELECT id FROM refresh_tokens WHERE user_id = $1`, [user.userId]);

      const res = await invite(admin, b.id, email.toUpperCase(), 'tenant_admin');
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ invitation: expect.objectContaining({ tenantId: b.id, email: email.toLowerCase(), role: 'tenant_admin', status: 'pending' }) });
      expect(await membershipsOf(email)).toEqual([{ tenant_id: a.id, role: 'tenant_member' }]);
      expect(await membershipEvents(b.id)).toEqual([]);
      expect((await t.http.get(`/v1/tenants/${b.id}`).set(t.auth(user.accessToken))).status).toBe(404);
      const mail = mailsTo(email).at(-1)!;
      expect(mail.subject).toContain('Tenant B for consent');
      expect(mail.text).toContain('already have an account');
      expect(mail.text).not.toContain('"password"');

      const accepted = await accept({ token: t.mailer.lastToken(email) });
      expect(accepted.status).toBe(204);
      expect(accepted.text).toBe('');
      expect(await membershipsOf(email)).toEqual([{ tenant_id: a.id, role: 'tenant_member' }, { tenant_id: b.id, role: 'tenant_admin' }]);
      expect(await membershipEvents(b.id)).toEqual([{ payload: expect.objectContaining({ userId: user.userId, role: 'tenant_admin' }) }]);
      // the existing access token sees the new tenant at once; no session was issued by the link
      await t.http.get(`/v1/tenants/${b.id}`).set(t.auth(user.accessToken)).expect(200);
      expect(await t.dataSource.query(`SELECT id FROM refresh_tokens WHERE user_id = $1`, [user.userId])).toEqual(refreshTokensBefore);
      expect((await login(email, PASSWORD)).status).toBe(200);
    });

    it('answers a new address, an existing account and a deactivated account identically (apart from id, e-mail and timestamps); only the deactivated one gets no mail', async () => {
      const home = await createTenant();
      const org = await createTenant();
      const fresh = nextEmail('fresh');
      const existing = nextEmail('existing');
      const deactivated = nextEmail('deactivated');
      await userWithRole(t, admin, home.id, 'tenant_member', existing);
      const gone = await userWithRole(t, admin, home.id, 'tenant_member', deactivated);
      await t.http.post(`/v1/users/${gone.userId}/deactivate`).set(t.auth(admin)).send().expect(200);
      const mailsBefore = [fresh, existing, deactivated].map((e) => mailsTo(e).length);

      const answers = [];
      for (const email of [fresh, existing, deactivated]) answers.push(await invite(admin, org.id, email, 'billing_viewer'));
      const shapes = answers.map((res) => {
        const { id, email, createdAt, expiresAt, ...rest } = res.body.invitation;
        return {
          status: res.status, contentType: res.headers['content-type'], keys: Object.keys(res.body), invitationKeys: Object.keys(res.body.invitation).sort(),
          id: typeof id, email: typeof email, ttl: new Date(expiresAt).getTime() - new Date(createdAt).getTime(), rest,
        };
      });
      expect(shapes[0]).toEqual({
        status: 201, contentType: expect.stringMatching(/^application\/json/), keys: ['invitation'], invitationKeys: INVITATION_KEYS,
        id: 'string', email: 'string', ttl: 7 * 86400_000, rest: { tenantId: org.id, role: 'billing_viewer', status: 'pending', invitedBy: `user:${adminId}` },
      });
      expect(shapes[1]).toEqual(shapes[0]);
      expect(shapes[2]).toEqual(shapes[0]);
      expect(answers.map((res) => res.body.invitation.email)).toEqual([fresh, existing, deactivated]);

      // what the inviter can read afterwards does not tell them apart either
      const listed = (await list(admin, org.id)).body.items;
      expect(listed.map((i: any) => ({ ...i, id: 'id', email: 'email', createdAt: 'at', expiresAt: 'at' }))).toEqual(
        Array(3).fill({ id: 'id', tenantId: org.id, email: 'email', role: 'billing_viewer', status: 'pending', invitedBy: `user:${adminId}`, createdAt: 'at', expiresAt: 'at' }),
      );
      const audit = (await t.http.get(`/v1/audit-events?tenantId=${org.id}&action=invitation.created`).set(t.auth(admin))).body.items;
      expect(audit.map((e: any) => e.data).sort((x: any, y: any) => x.email.localeCompare(y.email))).toEqual(
        [deactivated, existing, fresh].map((email) => ({ email, role: 'billing_viewer' })),
      );
      expect(await membershipsOf(existing)).toEqual([{ tenant_id: home.id, role: 'tenant_member' }]);
      expect(await membershipsOf(deactivated)).toEqual([{ tenant_id: home.id, role: 'tenant_member' }]);

      expect(mailsTo(fresh)).toHaveLength(mailsBefore[0] + 1);
      expect(mailsTo(existing)).toHaveLength(mailsBefore[1] + 1);
      expect(mailsTo(deactivated)).toHaveLength(mailsBefore[2]);
    });

    it('an account deactivated after its invitation went out cannot accept it (400 auth.invalid_token)', async () => {
      const home = await createTenant();
      const org = await createTenant();
      const email = nextEmail();
      const user = await userWithRole(t, admin, home.id, 'tenant_member', email);
      await invite(admin, org.id, email).expect(201);
      const token = t.mailer.lastToken(email);
      await t.http.post(`/v1/users/${user.userId}/deactivate`).set(t.auth(admin)).send().expect(200);
      const res = await accept({ token });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('auth.invalid_token');
      expect(await membershipsOf(email)).toEqual([{ tenant_id: home.id, role: 'tenant_member' }]);
    });

    it('inviting the same address to the same role while pending renews it: same id, a new token, the older link dead', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const first = (await invite(admin, org.id, email).expect(201)).body.invitation;
      const firstToken = t.mailer.lastToken(email);
      const second = (await invite(admin, org.id, email.toUpperCase()).expect(201)).body.invitation;
      const secondToken = t.mailer.lastToken(email);
      expect(second).toEqual({ ...first, expiresAt: expect.any(String) });
      expect(new Date(second.expiresAt).getTime()).toBeGreaterThanOrEqual(new Date(first.expiresAt).getTime());
      expect(secondToken).not.toBe(firstToken);
      expect((await list(admin, org.id)).body.items).toHaveLength(1);

      const stale = await accept({ token: firstToken, password: PASSWORD });
      expect(stale.status).toBe(400);
      expect(stale.body.code).toBe('auth.invalid_token');
      // another role on the same tenant is another invitation
      const other = (await invite(admin, org.id, email, 'billing_viewer').expect(201)).body.invitation;
      expect(other.id).not.toBe(first.id);
      await accept({ token: secondToken, password: PASSWORD }).expect(200);
      expect(await membershipsOf(email)).toEqual([{ tenant_id: org.id, role: 'tenant_member' }]);
    });

    it('a token works once: accepting twice answers 400 auth.invalid_token and changes nothing', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const token = t.mailer.lastToken(email);
      await accept({ token, password: PASSWORD }).expect(200);
      const before = await t.countRows();
      const again = await accept({ token, password: 'an-attackers-password' });
      expect(again.status).toBe(400);
      expect(again.body.code).toBe('auth.invalid_token');
      expect(await t.countRows()).toEqual(before);
      expect((await login(email, 'an-attackers-password')).status).toBe(401);
      expect((await login(email, PASSWORD)).status).toBe(200);
      expect((await decline(token)).body.code).toBe('auth.invalid_token');
    });

    it('an unknown or expired token answers 400 auth.invalid_token and creates nothing; an expired invitation is listed as expired', async () => {
      const unknown = await accept({ token: randomBytes(32).toString('base64url'), password: PASSWORD });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('auth.invalid_token');

      const org = await createTenant();
      const email = nextEmail();
      const invited = (await invite(admin, org.id, email).expect(201)).body.invitation;
      await t.dataSource.query(`UPDATE invitations SET expires_at = now() - interval '1 second' WHERE id = $1`, [invited.id]);
      const before = await t.countRows();
      const expired = await accept({ token: t.mailer.lastToken(email), password: PASSWORD });
      expect(expired.status).toBe(400);
      expect(expired.body.code).toBe('auth.invalid_token');
      expect((await decline(t.mailer.lastToken(email))).body.code).toBe('auth.invalid_token');
      expect(await t.countRows()).toEqual(before);
      expect((await list(admin, org.id)).body.items).toEqual([expect.objectContaining({ id: invited.id, status: 'expired' })]);
      // inviting again revives it with a fresh token
      await invite(admin, org.id, email).expect(201);
      await accept({ token: t.mailer.lastToken(email), password: PASSWORD }).expect(200);
    });

    it('maintenance prunes invitations a week after they expired or were settled, and keeps the others', async () => {
      const org = await createTenant();
      const ids: Record<string, string> = {};
      for (const label of ['pending', 'expired-long', 'expired-recently', 'declined-long', 'accepted-long']) {
        ids[label] = (await invite(admin, org.id, nextEmail(label)).expect(201)).body.invitation.id;
      }
      const ago = (days: number) => new Date(Date.now() - days * 86_400_000);
      await t.dataSource.query(`UPDATE invitations SET expires_at = $2 WHERE id = $1`, [ids['expired-long'], ago(8)]);
      await t.dataSource.query(`UPDATE invitations SET expires_at = $2 WHERE id = $1`, [ids['expired-recently'], ago(6)]);
      await t.dataSource.query(`UPDATE invitations SET declined_at = $2 WHERE id = $1`, [ids['declined-long'], ago(8)]);
      await t.dataSource.query(`UPDATE invitations SET accepted_at = $2 WHERE id = $1`, [ids['accepted-long'], ago(9)]);
      await pruneExpiredTokens(t.dataSource, new Date());
      const left = (await t.dataSource.query(`SELECT id FROM invitations WHERE tenant_id = $1`, [org.id])).map((r: { id: string }) => r.id).sort();
      expect(left).toEqual([ids.pending, ids['expired-recently']].sort());
    });

    it('a new account needs a password of at least 12 characters (400 naming password); the token stays usable', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await invite(admin, org.id, email).expect(201);
      const token = t.mailer.lastToken(email);
      for (const body of [{ token }, { token, password: 'short' }]) {
        const before = await t.countRows();
        const res = await accept(body);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('request.validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
        expect(await t.countRows()).toEqual(before);
      }
      await accept({ token, password: PASSWORD }).expect(200);
    });

    it('declining: 204, no account and no membership, the link is dead, the invitation leaves the list', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const invitation = (await invite(admin, org.id, email).expect(201)).body.invitation;
      const token = t.mailer.lastToken(email);
      const res = await decline(token);
      expect(res.status).toBe(204);
      expect(await t.dataSource.query(`SELECT id FROM users WHERE lower(email) = lower($1)`, [email])).toEqual([]);
      expect((await accept({ token, password: PASSWORD })).body.code).toBe('auth.invalid_token');
      expect((await decline(token)).status).toBe(400);
      expect((await list(admin, org.id)).body.items).toEqual([]);
      const [event] = (await t.http.get(`/v1/audit-events?tenantId=${org.id}&action=invitation.declined`).set(t.auth(admin))).body.items;
      expect(event).toMatchObject({ actor: { type: 'system', id: 'invitee' }, target: { type: 'invitation', id: invitation.id }, data: { email, role: 'tenant_member' } });

      // an existing account declines the same way and keeps what it had
      const member = nextEmail();
      const home = await createTenant();
      await userWithRole(t, admin, home.id, 'tenant_member', member);
      await invite(admin, org.id, member, 'tenant_admin').expect(201);
      await decline(t.mailer.lastToken(member)).expect(204);
      expect(await membershipsOf(member)).toEqual([{ tenant_id: home.id, role: 'tenant_member' }]);
      expect((await t.http.post('/v1/auth/invitations/decline').send({})).body.code).toBe('request.validation_failed');
    });

    it('revoking: 204, the link is dead, revoking again is fine; accepted ones answer 409, unknown or foreign ids 404', async () => {
      const org = await createTenant();
      const other = await createTenant();
      const email = nextEmail();
      const invitation = (await invite(admin, org.id, email).expect(201)).body.invitation;
      const token = t.mailer.lastToken(email);
      const revoke = (tenantId: string, id: string, token_ = admin) => t.http.delete(`/v1/tenants/${tenantId}/invitations/${id}`).set(t.auth(token_));

      // tenant-scoped: the id under another tenant is not found
      const foreign = await revoke(other.id, invitation.id);
      expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 404, code: 'invitation.not_found' });
      const member = await userWithRole(t, admin, org.id, 'tenant_member', nextEmail('member'));
      expect((await revoke(org.id, invitation.id, member.accessToken)).status).toBe(403);
      expect((await list(member.accessToken, org.id)).status).toBe(403);

      await revoke(org.id, invitation.id).expect(204);
      expect((await accept({ token, password: PASSWORD })).body.code).toBe('auth.invalid_token');
      expect((await list(admin, org.id)).body.items).toEqual([]);
      await revoke(org.id, invitation.id).expect(204);
      const events = (await t.http.get(`/v1/audit-events?tenantId=${org.id}&action=invitation.revoked`).set(t.auth(admin))).body.items;
      expect(events).toEqual([expect.objectContaining({ actor: { type: 'user', id: adminId }, target: { type: 'invitation', id: invitation.id } })]);

      await invite(admin, org.id, email).expect(201);
      const accepted = (await list(admin, org.id)).body.items[0];
      await accept({ token: t.mailer.lastToken(email), password: PASSWORD }).expect(200);
      const late = await revoke(org.id, accepted.id);
      expect({ status: late.status, code: late.body.code }).toEqual({ status: 409, code: 'invitation.not_pending' });
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const res = await revoke(org.id, id);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'invitation.not_found' });
      }
    });

    it('lists open invitations with cursor pagination', async () => {
      const org = await createTenant();
      const emails = [nextEmail(), nextEmail(), nextEmail()];
      for (const email of emails) await invite(admin, org.id, email).expect(201);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await list(admin, org.id, { limit: '2', ...(cursor ? { cursor } : {}) }).expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((i: { email: string }) => i.email));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(emails);
    });

    it('inviting someone to a role they already hold answers like any invitation; accepting changes nothing (204)', async () => {
      const org = await createTenant();
      const email = nextEmail();
      await userWithRole(t, admin, org.id, 'tenant_member', email);
      const eventsBefore = await membershipEvents(org.id);
      const res = await invite(admin, org.id, email.toUpperCase());
      expect(res.status).toBe(201);
      expect(res.body.invitation).toMatchObject({ status: 'pending', role: 'tenant_member' });
      await accept({ token: t.mailer.lastToken(email) }).expect(204);
      expect(await membershipsOf(email)).toEqual([{ tenant_id: org.id, role: 'tenant_member' }]);
      expect(await membershipEvents(org.id)).toEqual(eventsBefore);
    });

    it('an Idempotency-Key replays the first answer without a second invitation or mail', async () => {
      const org = await createTenant();
      const email = nextEmail();
      const key = randomUUID();
      const first = await invite(admin, org.id, email).set('Idempotency-Key', key);
      expect(first.status).toBe(201);
      const mails = mailsTo(email).length;
      const again = await invite(admin, org.id, email).set('Idempotency-Key', key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(mailsTo(email)).toHaveLength(mails);
      expect((await invite(admin, org.id, nextEmail()).set('Idempotency-Key', key)).body.code).toBe('idempotency.key_reused');
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

    it('answers 202 for an invited address that has not accepted yet and sends it no reset mail', async () => {
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
      await userWithRole(t, admin, b.id, 'tenant_member', email);
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

      const second = await userWithRole(t, admin, t.operatorTenantId, 'operator_admin', nextEmail('second-operator'));
      await t.http.delete(`/v1/memberships/${await membershipId(second.userId, t.operatorTenantId)}`).set(t.auth(admin)).expect(204);
      expect((await t.http.delete(`/v1/memberships/${own.id}`).set(t.auth(admin))).status).toBe(409);
    });

    it('a tenant admin cannot remove memberships outside their subtree (404) or above their rank (403)', async () => {
      const org = await createTenant();
      const other = await createTenant();
      const orgAdmin = await userWithRole(t, admin, org.id, 'tenant_admin', nextEmail('org-admin'));
      const outsider = await userWithRole(t, admin, other.id, 'tenant_member', nextEmail());
      expect((await t.http.delete(`/v1/memberships/${await membershipId(outsider.userId, other.id)}`).set(t.auth(orgAdmin.accessToken))).status).toBe(404);
      const me = (await t.http.get('/v1/me').set(t.auth(admin))).body.user;
      const operatorMembership = me.memberships.find((m: { role: string }) => m.role === 'operator_admin');
      expect((await t.http.delete(`/v1/memberships/${operatorMembership.id}`).set(t.auth(orgAdmin.accessToken))).status).toBe(404);

      const reseller = await createTenant({ kind: 'reseller' });
      const resellerAdmin = await userWithRole(t, admin, reseller.id, 'reseller_admin', nextEmail('reseller-admin'));
      const resellerAdminMembership = await membershipId(resellerAdmin.userId, reseller.id);
      const lowerAdmin = await userWithRole(t, admin, reseller.id, 'tenant_admin', nextEmail('lower-admin'));
      const above = await t.http.delete(`/v1/memberships/${resellerAdminMembership}`).set(t.auth(lowerAdmin.accessToken));
      expect(above.status).toBe(403);
      expect(above.body.code).toBe('auth.forbidden');
      expect(await t.dataSource.query(`SELECT id FROM memberships WHERE id = $1`, [resellerAdminMembership])).toHaveLength(1);
    });

    it('GET /v1/users/:id shows the user with the memberships the caller may see', async () => {
      const a = await createTenant({ name: 'Tenant A for users' });
      const b = await createTenant({ name: 'Tenant B for users' });
      const email = nextEmail();
      const user = await userWithRole(t, admin, a.id, 'tenant_member', email);
      await userWithRole(t, admin, b.id, 'billing_viewer', email);

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
      await userWithRole(t, admin, org.id, 'tenant_member', emailA);
      await userWithRole(t, admin, org.id, 'tenant_admin', emailB);
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
    // the membership is added by the person accepting; the rest by the admin
    for (const e of userEvents) expect(e.actor).toEqual({ type: 'user', id: e.action === 'membership.added' ? user.userId : adminId });
    const invitationEvents = res.body.items.filter((e: any) => e.target.type === 'invitation');
    expect(invitationEvents.map((e: any) => [e.action, e.actor.id])).toEqual([['invitation.accepted', user.userId], ['invitation.created', adminId]]);
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]);
    expect(n).toBe(1); // nothing is deleted: the account stays
  });
});
