import { randomUUID } from 'node:crypto';
import { startTestApp, TestApp, tenantBody, userWithRole } from '../support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('tenants', () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  let users = 0;

  /** Creates a tenant as `token` and fails loudly when that does not work. */
  async function create(token: string, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await t.http.post('/v1/tenants').set(t.auth(token)).send(tenantBody(overrides));
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A fresh user holding `role` on `tenantId`. */
  function userOn(tenantId: string, role = 'tenant_admin') {
    users += 1;
    return userWithRole(t, admin, tenantId, role, `tenant-user-${users}@example.test`);
  }

  function changeStatus(token: string, id: string, change: 'suspend' | 'resume' | 'close', reason?: string) {
    return t.http.post(`/v1/tenants/${id}/${change}`).set(t.auth(token)).send(reason ? { reason } : {});
  }

  async function outboxCount(type: string, tenantId: string): Promise<number> {
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE type = $1 AND tenant_id = $2`, [type, tenantId]);
    return n;
  }

  async function auditCount(tenantId: string): Promise<number> {
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_events WHERE tenant_id = $1`, [tenantId]);
    return n;
  }

  beforeAll(async () => {
    t = await startTestApp({ LOGIN_MAX_ATTEMPTS_PER_IP: '100000' });
    admin = await t.adminToken();
    adminId = (await t.http.get('/v1/me').set(t.auth(admin))).body.user.id;
  });
  afterAll(() => t?.close());

  describe('create', () => {
    it('answers 201 with the tenant object and the documented defaults (organization, Europe/Berlin, active)', async () => {
      const body = tenantBody();
      const res = await t.http.post('/v1/tenants').set(t.auth(admin)).send(body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        parentId: t.operatorTenantId,
        kind: 'organization',
        name: body.name,
        legalName: body.legalName,
        country: 'DE',
        currency: 'EUR',
        billingEmail: body.billingEmail,
        address: null,
        vatId: null,
        buyerReference: null,
        timeZone: 'Europe/Berlin',
        status: 'active',
        suspendedAt: null,
        suspensionReason: null,
        closedAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const fetched = await t.http.get(`/v1/tenants/${res.body.id}`).set(t.auth(admin));
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(res.body);
    });

    it('keeps the optional master data it is given', async () => {
      const address = { line1: 'Unter den Linden 6', postalCode: '10117', city: 'Berlin', country: 'DE' };
      const tenant = await create(admin, { address, vatId: 'DE123456789', buyerReference: '04011000-12345-67', timeZone: 'America/New_York' });
      expect(tenant).toMatchObject({ address, vatId: 'DE123456789', buyerReference: '04011000-12345-67', timeZone: 'America/New_York' });
    });

    it('puts the tenant under the tenant the caller administers when parentId is left out', async () => {
      const org = await create(admin);
      const orgAdmin = await userOn(org.id);
      const child = await create(orgAdmin.accessToken);
      expect(child.parentId).toBe(org.id);
    });

    it('creates resellers under the operator only (422 tenant.reseller_parent elsewhere), writing nothing on refusal', async () => {
      const reseller = await create(admin, { kind: 'reseller' });
      expect(reseller).toMatchObject({ kind: 'reseller', parentId: t.operatorTenantId });
      const org = await create(admin);
      const before = await t.countRows();
      for (const parentId of [reseller.id, org.id]) {
        const res = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ kind: 'reseller', parentId }));
        expect(res.status).toBe(422);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe('tenant.reseller_parent');
      }
      const after = await t.countRows();
      expect(after.tenants).toBe(before.tenants);
      expect(after.outbox_events).toBe(before.outbox_events);
      expect(after.audit_events).toBe(before.audit_events);
    });

    it('builds a nested tree (university -> faculty -> institute) whose admins see only their subtree', async () => {
      const university = await create(admin, { name: 'Universität Beispielstadt' });
      const faculty = await create(admin, { name: 'Fakultät für Informatik', parentId: university.id });
      const institute = await create(admin, { name: 'Institut für Theoretische Informatik', parentId: faculty.id });
      expect([university.parentId, faculty.parentId, institute.parentId]).toEqual([t.operatorTenantId, university.id, faculty.id]);

      const facultyAdmin = await userOn(faculty.id);
      const listed = await t.http.get('/v1/tenants').set(t.auth(facultyAdmin.accessToken));
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((x: { id: string }) => x.id).sort()).toEqual([faculty.id, institute.id].sort());
      await t.http.get(`/v1/tenants/${institute.id}`).set(t.auth(facultyAdmin.accessToken)).expect(200);
      const above = await t.http.get(`/v1/tenants/${university.id}`).set(t.auth(facultyAdmin.accessToken));
      expect(above.status).toBe(404);
      expect(above.body.code).toBe('tenant.not_found');
      // the faculty admin creates below the faculty, never above it
      const other = await t.http.post('/v1/tenants').set(t.auth(facultyAdmin.accessToken)).send(tenantBody({ parentId: university.id }));
      expect(other.status).toBe(404);
    });
  });

  describe('list and get', () => {
    let parent: Record<string, any>;
    let children: Array<Record<string, any>>;

    beforeAll(async () => {
      parent = await create(admin);
      children = [];
      for (let i = 0; i < 5; i++) children.push(await create(admin, { parentId: parent.id }));
    });

    async function walk(query: string, limit = 2): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = `limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await t.http.get(`/v1/tenants?${q}`).set(t.auth(admin));
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        ids.push(...res.body.items.map((x: { id: string }) => x.id));
        cursor = res.body.nextCursor;
        pages += 1;
        if (pages > 1000) throw new Error('pagination does not end');
      } while (cursor !== null);
      return { ids, pages };
    }

    it('walks every page with limit=2 without duplicates or gaps, ending with nextCursor null', async () => {
      const { ids, pages } = await walk(`parentId=${parent.id}`);
      expect(pages).toBe(3);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(children.map((c) => c.id).sort());

      const everything = await walk('');
      const inDb: Array<{ id: string }> = await t.dataSource.query(`SELECT id FROM tenants ORDER BY id`);
      expect(new Set(everything.ids).size).toBe(everything.ids.length);
      expect(everything.ids).toEqual(inDb.map((r) => r.id));
    });

    it('answers the last page with nextCursor null and refuses a forged cursor with 400 pagination.invalid_cursor', async () => {
      const all = await t.http.get(`/v1/tenants?parentId=${parent.id}&limit=5`).set(t.auth(admin));
      expect(all.body.items).toHaveLength(5);
      expect(all.body.nextCursor).toBeNull();
      const forged = await t.http.get('/v1/tenants?cursor=not-a-cursor').set(t.auth(admin));
      expect(forged.status).toBe(400);
      expect(forged.body.code).toBe('pagination.invalid_cursor');
      expect((await t.http.get('/v1/tenants?limit=0').set(t.auth(admin))).status).toBe(400);
      expect((await t.http.get('/v1/tenants?limit=201').set(t.auth(admin))).status).toBe(400);
    });

    it('filters by parentId and by status', async () => {
      await changeStatus(admin, children[1].id, 'suspend', 'filter test').expect(200);
      try {
        const suspended = await t.http.get(`/v1/tenants?parentId=${parent.id}&status=suspended`).set(t.auth(admin));
        expect(suspended.body.items.map((x: { id: string }) => x.id)).toEqual([children[1].id]);
        const active = await t.http.get(`/v1/tenants?parentId=${parent.id}&status=active`).set(t.auth(admin));
        expect(active.body.items.map((x: { id: string }) => x.id)).toEqual(children.filter((_, i) => i !== 1).map((c) => c.id).sort());
        const byStatus = await t.http.get('/v1/tenants?status=suspended&limit=200').set(t.auth(admin));
        expect(byStatus.body.items.length).toBeGreaterThan(0);
        expect(byStatus.body.items.every((x: { status: string }) => x.status === 'suspended')).toBe(true);
        const byParent = await t.http.get(`/v1/tenants?parentId=${t.operatorTenantId}&limit=200`).set(t.auth(admin));
        expect(byParent.body.items.every((x: { parentId: string }) => x.parentId === t.operatorTenantId)).toBe(true);
        expect(byParent.body.items.map((x: { id: string }) => x.id)).toContain(parent.id);
        expect(byParent.body.items.map((x: { id: string }) => x.id)).not.toContain(children[0].id);
        expect((await t.http.get('/v1/tenants?status=deleted').set(t.auth(admin))).status).toBe(400);
      } finally {
        await changeStatus(admin, children[1].id, 'resume').expect(200);
      }
    });

    it('answers 404 tenant.not_found for an unknown or malformed id', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        const res = await t.http.get(`/v1/tenants/${id}`).set(t.auth(admin));
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('tenant.not_found');
      }
    });
  });

  describe('update', () => {
    it('changes the given fields and only those', async () => {
      const tenant = await create(admin);
      await new Promise((r) => setTimeout(r, 5));
      const patch = {
        name: 'Renamed', billingEmail: 'new-billing@example.test', timeZone: 'Europe/Vienna', vatId: 'ATU12345678',
        address: { line1: 'Ring 1', postalCode: '1010', city: 'Wien', country: 'AT' }, country: 'at',
      };
      const res = await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(admin)).send(patch);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...tenant, ...patch, country: 'AT', updatedAt: expect.any(String) });
      expect(new Date(res.body.updatedAt).getTime()).toBeGreaterThan(new Date(tenant.updatedAt).getTime());
      const fetched = await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(admin));
      expect(fetched.body).toEqual(res.body);
      expect(await outboxCount('tenancy.tenant_updated', tenant.id)).toBe(1);
    });

    it.each([
      ['parentId', { parentId: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }],
      ['kind', { kind: 'reseller' }],
      ['status', { status: 'closed' }],
      ['id', { id: '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60' }],
      ['suspendedAt', { suspendedAt: '2026-01-01T00:00:00Z' }],
      ['an unknown field', { colour: 'blue' }],
    ])('refuses %s with 400 request.validation_failed and changes nothing', async (_name, patch) => {
      const tenant = await create(admin);
      const field = Object.keys(patch)[0];
      const res = await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(admin)).send({ name: 'Should not stick', ...patch });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('request.validation_failed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      expect((await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(admin))).body).toEqual(tenant);
    });

    it('refuses invalid values and clearing required fields with 400, not 500', async () => {
      const tenant = await create(admin);
      for (const patch of [{ name: null }, { billingEmail: null }, { timeZone: null }, { name: '' }, { timeZone: 'Mars/Olympus_Mons' }, { country: 'XX' }, { billingEmail: 'not-an-email' }]) {
        const res = await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(admin)).send(patch);
        expect({ patch, status: res.status, code: res.body.code }).toEqual({ patch, status: 400, code: 'request.validation_failed' });
        expect(res.body.errors).toEqual([expect.objectContaining({ field: Object.keys(patch)[0] })]);
      }
      expect((await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(admin))).body).toEqual(tenant);
    });
  });

  describe('status changes', () => {
    it('suspend sets status, suspendedAt and keeps the reason; resume clears them', async () => {
      const tenant = await create(admin);
      const before = Date.now();
      const suspended = await changeStatus(admin, tenant.id, 'suspend', 'Invoice 2026-0042 unpaid');
      expect(suspended.status).toBe(200);
      expect(suspended.body).toMatchObject({ id: tenant.id, status: 'suspended', suspensionReason: 'Invoice 2026-0042 unpaid', closedAt: null });
      expect(new Date(suspended.body.suspendedAt).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect((await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(admin))).body).toEqual(suspended.body);

      const resumed = await changeStatus(admin, tenant.id, 'resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body).toMatchObject({ status: 'active', suspendedAt: null, suspensionReason: null });
      expect(await outboxCount('tenancy.tenant_suspended', tenant.id)).toBe(1);
      expect(await outboxCount('tenancy.tenant_resumed', tenant.id)).toBe(1);
    });

    it('close keeps the row and every record, sets closedAt and revokes the tenant\'s API keys', async () => {
      const tenant = await create(admin);
      const key = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'ci', scopes: ['*'] })).body;
      await t.http.get('/v1/me').set(t.auth(key.key)).expect(200);

      const closed = await changeStatus(admin, tenant.id, 'close', 'contract ended');
      expect(closed.status).toBe(200);
      expect(closed.body).toMatchObject({ id: tenant.id, status: 'closed', closedAt: expect.any(String) });

      const keys = await t.http.get(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin));
      expect(keys.body.items).toEqual([expect.objectContaining({ id: key.id, revokedAt: expect.any(String) })]);
      const refused = await t.http.get('/v1/me').set(t.auth(key.key));
      expect(refused.status).toBe(401);
      expect(refused.body.code).toBe('auth.invalid_api_key');

      // nothing is hard-deleted: the row, its key and its audit trail are still there, and the API offers no DELETE
      const rows = await t.dataSource.query(`SELECT status FROM tenants WHERE id = $1`, [tenant.id]);
      expect(rows).toEqual([{ status: 'closed' }]);
      expect(await t.dataSource.query(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenant.id])).toHaveLength(1);
      expect((await t.http.get(`/v1/tenants/${tenant.id}`).set(t.auth(admin))).body.status).toBe('closed');
      const deleted = await t.http.delete(`/v1/tenants/${tenant.id}`).set(t.auth(admin));
      expect(deleted.status).toBe(404);
      expect(deleted.body.code).toBe('route.not_found');
      expect(await t.dataSource.query(`SELECT id FROM tenants WHERE id = $1`, [tenant.id])).toHaveLength(1);
      expect(await outboxCount('tenancy.tenant_closed', tenant.id)).toBe(1);
    });

    it('cannot close a tenant with open (active or suspended) sub-tenants: 409 tenant.has_open_children', async () => {
      const parent = await create(admin);
      const child = await create(admin, { parentId: parent.id });
      const res = await changeStatus(admin, parent.id, 'close');
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('tenant.has_open_children');
      await changeStatus(admin, child.id, 'suspend').expect(200);
      expect((await changeStatus(admin, parent.id, 'close')).body.code).toBe('tenant.has_open_children');
      expect((await t.http.get(`/v1/tenants/${parent.id}`).set(t.auth(admin))).body.status).toBe('active');

      await changeStatus(admin, child.id, 'close').expect(200);
      await changeStatus(admin, parent.id, 'close').expect(200);
    });

    it('refuses transitions that do not exist with 409 tenant.invalid_transition, writing no event', async () => {
      const tenant = await create(admin);
      const attempts: Array<['suspend' | 'resume' | 'close', string]> = [];
      const expectRefused = async (change: 'suspend' | 'resume' | 'close') => {
        const res = await changeStatus(admin, tenant.id, change);
        attempts.push([change, `${res.status} ${res.body.code}`]);
      };
      await expectRefused('resume'); // active -> resume
      await changeStatus(admin, tenant.id, 'suspend').expect(200);
      await expectRefused('suspend'); // suspended -> suspend
      await changeStatus(admin, tenant.id, 'close').expect(200); // suspended -> close is allowed
      await expectRefused('suspend');
      await expectRefused('resume');
      await expectRefused('close');
      expect(attempts).toEqual([
        ['resume', '409 tenant.invalid_transition'],
        ['suspend', '409 tenant.invalid_transition'],
        ['suspend', '409 tenant.invalid_transition'],
        ['resume', '409 tenant.invalid_transition'],
        ['close', '409 tenant.invalid_transition'],
      ]);
      expect(await outboxCount('tenancy.tenant_suspended', tenant.id)).toBe(1);
      expect(await outboxCount('tenancy.tenant_resumed', tenant.id)).toBe(0);
      expect(await outboxCount('tenancy.tenant_closed', tenant.id)).toBe(1);
    });

    it('refuses to let anyone change the status of the tenant their own membership is on (403), but allows it below', async () => {
      const org = await create(admin);
      const child = await create(admin, { parentId: org.id });
      const orgAdmin = await userOn(org.id);
      for (const change of ['suspend', 'close'] as const) {
        const res = await changeStatus(orgAdmin.accessToken, org.id, change);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('tenant.own_status');
      }
      const own = await changeStatus(admin, t.operatorTenantId, 'suspend');
      expect(own.status).toBe(403);
      expect((await t.http.get(`/v1/tenants/${org.id}`).set(t.auth(admin))).body.status).toBe('active');
      await changeStatus(orgAdmin.accessToken, child.id, 'suspend').expect(200);
    });

    it('refuses status changes by members without tenants:write (403)', async () => {
      const org = await create(admin);
      const child = await create(admin, { parentId: org.id });
      const member = await userOn(org.id, 'tenant_member');
      const res = await changeStatus(member.accessToken, child.id, 'suspend');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('auth.forbidden');
    });

    it('refuses writes under a suspended tenant with 409 tenant.not_active until it is resumed', async () => {
      const org = await create(admin);
      const child = await create(admin, { parentId: org.id });
      await changeStatus(admin, org.id, 'suspend', 'unpaid').expect(200);
      const before = await t.countRows();
      const writes = [
        t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ parentId: org.id })),
        t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ parentId: child.id })),
        t.http.post(`/v1/tenants/${org.id}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['*'] }),
        t.http.post(`/v1/tenants/${child.id}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['*'] }),
        t.http.post(`/v1/tenants/${org.id}/invitations`).set(t.auth(admin)).send({ email: 'blocked@example.test', role: 'tenant_member' }),
      ];
      for (const res of await Promise.all(writes)) {
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('tenant.not_active');
      }
      const after = await t.countRows();
      for (const table of ['tenants', 'api_keys', 'users', 'memberships', 'outbox_events', 'audit_events']) expect(after[table]).toBe(before[table]);

      await changeStatus(admin, org.id, 'resume').expect(200);
      const created = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ parentId: child.id }));
      expect(created.status).toBe(201);
      await t.http.post(`/v1/tenants/${org.id}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['*'] }).expect(201);
    });
  });

  describe('audit trail and outbox', () => {
    it('records each command as an audit event (actor, action, tenant, target) and one outbox event of the matching type', async () => {
      const tenant = await create(admin);
      await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(admin)).send({ name: 'Audited' }).expect(200);
      await changeStatus(admin, tenant.id, 'suspend', 'audit reason').expect(200);
      await changeStatus(admin, tenant.id, 'resume').expect(200);
      await changeStatus(admin, tenant.id, 'close', 'done').expect(200);

      const res = await t.http.get(`/v1/audit-events?tenantId=${tenant.id}`).set(t.auth(admin));
      expect(res.status).toBe(200);
      const byAction = new Map<string, any>(res.body.items.map((e: { action: string }) => [e.action, e]));
      expect([...byAction.keys()].sort()).toEqual(['tenant.closed', 'tenant.created', 'tenant.resumed', 'tenant.suspended', 'tenant.updated']);
      for (const event of byAction.values()) {
        expect(event).toMatchObject({ actor: { type: 'user', id: adminId }, tenantId: tenant.id, target: { type: 'tenant', id: tenant.id }, requestId: expect.any(String) });
      }
      expect(byAction.get('tenant.suspended').data).toEqual({ reason: 'audit reason' });
      expect(byAction.get('tenant.updated').data).toEqual({ changed: ['name'] });
      expect(byAction.get('tenant.created').data).toMatchObject({ parentId: t.operatorTenantId, kind: 'organization' });

      const outbox: Array<{ type: string; n: number }> = await t.dataSource.query(
        `SELECT type, count(*)::int AS n FROM outbox_events WHERE tenant_id = $1 GROUP BY type ORDER BY type`, [tenant.id]);
      expect(outbox).toEqual([
        { type: 'tenancy.tenant_closed', n: 1 },
        { type: 'tenancy.tenant_created', n: 1 },
        { type: 'tenancy.tenant_resumed', n: 1 },
        { type: 'tenancy.tenant_suspended', n: 1 },
        { type: 'tenancy.tenant_updated', n: 1 },
      ]);
    });

    it('stores the request id of the HTTP request with the audit event', async () => {
      const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).set('x-request-id', 'audit-req-42').send(tenantBody())).body;
      const res = await t.http.get(`/v1/audit-events?tenantId=${tenant.id}&action=tenant.created`).set(t.auth(admin));
      expect(res.body.items).toEqual([expect.objectContaining({ action: 'tenant.created', requestId: 'audit-req-42' })]);
    });

    it('filters by ?tenantId= (no other branch\'s events) and by ?action=, newest first', async () => {
      const a = await create(admin);
      const b = await create(admin);
      await changeStatus(admin, b.id, 'suspend').expect(200);
      const onlyA = await t.http.get(`/v1/audit-events?tenantId=${a.id}`).set(t.auth(admin));
      expect(onlyA.body.items.map((e: { action: string; tenantId: string }) => [e.action, e.tenantId])).toEqual([['tenant.created', a.id]]);
      const suspensions = await t.http.get('/v1/audit-events?action=tenant.suspended&limit=200').set(t.auth(admin));
      expect(suspensions.body.items.length).toBeGreaterThan(0);
      expect(suspensions.body.items.every((e: { action: string }) => e.action === 'tenant.suspended')).toBe(true);
      expect(suspensions.body.items.map((e: { tenantId: string }) => e.tenantId)).toContain(b.id);
      const ids = suspensions.body.items.map((e: { id: string }) => e.id);
      expect(ids).toEqual([...ids].sort().reverse());
    });

    it('hides the audit trail of tenants outside the caller\'s subtree and from roles without audit:read', async () => {
      const a = await create(admin);
      const b = await create(admin);
      const aAdmin = await userOn(a.id);
      const foreign = await t.http.get(`/v1/audit-events?tenantId=${b.id}`).set(t.auth(aAdmin.accessToken));
      expect(foreign.status).toBe(404);
      const mine = await t.http.get('/v1/audit-events?limit=200').set(t.auth(aAdmin.accessToken));
      expect(mine.status).toBe(200);
      expect(mine.body.items.length).toBeGreaterThan(0);
      expect(mine.body.items.every((e: { tenantId: string }) => e.tenantId === a.id)).toBe(true);
      const member = await userOn(a.id, 'tenant_member');
      expect((await t.http.get(`/v1/audit-events?tenantId=${a.id}`).set(t.auth(member.accessToken))).status).toBe(403);
    });

    it('writes neither an audit nor an outbox row for a refused command', async () => {
      const tenant = await create(admin);
      const audits = await auditCount(tenant.id);
      await changeStatus(admin, tenant.id, 'resume').expect(409);
      await t.http.patch(`/v1/tenants/${tenant.id}`).set(t.auth(admin)).send({ kind: 'reseller' }).expect(400);
      expect(await auditCount(tenant.id)).toBe(audits);
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE tenant_id = $1`, [tenant.id]);
      expect(n).toBe(1); // tenant_created only
    });
  });
});
