// The invitations migration (core/tenancy, 1763900000110) with rows of the old model in the
// database: an `invited` account that already held its membership and an open invitation token.
// Its link must keep working after the migration, and nothing else may move.
import { createHash, randomUUID } from 'node:crypto';
import { TENANCY_MIGRATIONS } from '@werkbank/tenancy';
import { startTestApp, TestApp } from '../support/test-app';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

describe('tenancy migration 1763900000110: invitations of the old model', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('moves open invitation tokens of invited accounts into invitations; their links still accept, once', async () => {
    const admin = await t.adminToken();
    const tenant = (await t.createTenant()).id;
    const now = t.clock.now();
    const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);
    const db = t.dataSource;
    const user = async (email: string, status: string) => {
      const id = randomUUID();
      await db.query(`INSERT INTO users (id, email, status, created_at, password_hash) VALUES ($1, $2, $3, $4, NULL)`, [id, email, status, now]);
      return id;
    };
    const member = (userId: string, role: string) => db.query(`INSERT INTO memberships (id, user_id, tenant_id, role, created_at) VALUES ($1, $2, $3, $4, $5)`, [randomUUID(), userId, tenant, role, now]);
    const token = async (userId: string, kind: string, usedAt: Date | null) => {
      const raw = randomUUID();
      const id = randomUUID();
      await db.query(`INSERT INTO user_tokens (id, user_id, kind, token_hash, expires_at, used_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, userId, kind, sha256(raw), inDays(7), usedAt, now]);
      return { id, raw };
    };

    // open: an invited account (mixed-case address) with its membership and an unused token
    const invitedEmail = `Old-Invite-${randomUUID()}@Example.test`;
    const invited = await user(invitedEmail, 'invited');
    await member(invited, 'billing_viewer');
    const open = await token(invited, 'invitation', null);
    // not moved: a token already used, and a password reset of an active account
    const used = await user(`used-${randomUUID()}@example.test`, 'invited');
    await member(used, 'tenant_member');
    await token(used, 'invitation', now);
    const active = await user(`active-${randomUUID()}@example.test`, 'active');
    const reset = await token(active, 'password_reset', null);

    const migration = TENANCY_MIGRATIONS.find((m) => m.name === 'TenancyInvitations1763900000110')!;
    const runner = db.createQueryRunner();
    try {
      await new migration().down(runner);
      await new migration().up(runner);
    } finally {
      await runner.release();
    }

    const moved = await db.query(`SELECT id, tenant_id, email, role, token_hash, invited_by, expires_at, accepted_at FROM invitations ORDER BY created_at`);
    expect(moved).toEqual([{
      id: open.id, tenant_id: tenant, email: invitedEmail.toLowerCase(), role: 'billing_viewer', token_hash: sha256(open.raw),
      invited_by: 'system:migration', expires_at: inDays(7), accepted_at: null,
    }]);
    const tokens = await db.query(`SELECT id, used_at IS NOT NULL AS used FROM user_tokens WHERE id = ANY($1::uuid[]) ORDER BY id`, [[open.id, reset.id]]);
    expect(Object.fromEntries(tokens.map((r: { id: string; used: boolean }) => [r.id, r.used]))).toEqual({ [open.id]: true, [reset.id]: false });

    // the tenant's admins see it as an open invitation
    const openItems = (await t.http.get(`/v1/tenants/${tenant}/invitations`).set(t.auth(admin)).expect(200)).body.items;
    expect(openItems.map((i: { id: string; email: string }) => [i.id, i.email])).toEqual([[open.id, invitedEmail.toLowerCase()]]);

    // the old link accepts: the account is activated, keeps its one membership, and can log in
    const accepted = await t.http.post('/v1/auth/invitations/accept').send({ token: open.raw, password: 'a-good-long-password' });
    expect(accepted.status).toBe(200);
    expect(accepted.body.accessToken).toEqual(expect.any(String));
    const [account] = await db.query(`SELECT status FROM users WHERE id = $1`, [invited]);
    expect(account.status).toBe('active');
    expect(await db.query(`SELECT role FROM memberships WHERE user_id = $1`, [invited])).toEqual([{ role: 'billing_viewer' }]);
    await t.login(invitedEmail.toLowerCase(), 'a-good-long-password');
    const again = await t.http.post('/v1/auth/invitations/accept').send({ token: open.raw, password: 'a-good-long-password' });
    expect(again.status).toBe(400);
    const [invitation] = await db.query(`SELECT accepted_at IS NOT NULL AS accepted FROM invitations WHERE id = $1`, [open.id]);
    expect(invitation.accepted).toBe(true);
    // no longer among the tenant's open invitations
    expect((await t.http.get(`/v1/tenants/${tenant}/invitations`).set(t.auth(admin)).expect(200)).body.items).toEqual([]);
  });
});
