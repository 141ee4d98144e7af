import { createTestEnvironment, TestEnvironment } from '@werkbank/plugin-testkit';
import { FakeProjectService } from '../fixtures/stub-service/fake-project-service';
import { stubServicePlugin } from '../fixtures/stub-service/stub-service.plugin';

/** The provisioning engine end to end: API, BullMQ worker and reconciliation in-process, a real HTTP upstream. */
describe('provisioning a service', () => {
  const upstream = new FakeProjectService();
  let t: TestEnvironment;
  let admin: string;

  beforeAll(async () => {
    await upstream.start();
    t = await createTestEnvironment({
      plugins: [stubServicePlugin],
      env: { WERKBANK_PLUGIN_STUB_SERVICE_OPTIONS: JSON.stringify({ baseUrl: upstream.url, adminToken: upstream.adminToken }) },
    });
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t?.close();
    await upstream.close();
  });

  async function request(tenantId: string, headers: Record<string, string> = {}) {
    const res = await t.http.post(`/v1/tenants/${tenantId}/services`).set(t.auth(admin)).set(headers).send({ plugin: 'stub-service' });
    expect(res.status).toBe(202);
    return res.body as { id: string; state: string };
  }

  it('runs the whole lifecycle with its history: requested -> active -> suspended -> active -> deprovisioned', async () => {
    const tenant = await t.createTenant();
    const requested = await request(tenant.id);
    expect(requested.state).toBe('provisioning');
    const active = await t.waitForServiceState(requested.id, 'active');
    expect(active.endpoints).toEqual({ api: expect.stringContaining(upstream.url) });
    const projectId = String((active.endpoints as Record<string, string>).api).split('/').pop()!;
    expect(upstream.projects.get(projectId)?.state).toBe('active');

    await t.http.post(`/v1/services/${requested.id}/suspend`).set(t.auth(admin)).expect(202);
    await t.waitForServiceState(requested.id, 'suspended');
    expect(upstream.projects.get(projectId)?.state).toBe('suspended');

    await t.http.post(`/v1/services/${requested.id}/resume`).set(t.auth(admin)).expect(202);
    await t.waitForServiceState(requested.id, 'active');
    expect(upstream.projects.get(projectId)?.state).toBe('active');

    await t.http.delete(`/v1/services/${requested.id}`).set(t.auth(admin)).expect(202);
    const gone = await t.waitForServiceState(requested.id, 'deprovisioned');
    expect(upstream.projects.has(projectId)).toBe(false);

    const moves = (gone.history as Array<{ from: string; to: string; at: string }>).filter((h) => h.from !== h.to).map((h) => `${h.from}->${h.to}`);
    expect(moves).toEqual([
      'requested->provisioning', 'provisioning->active', 'active->suspending', 'suspending->suspended',
      'suspended->resuming', 'resuming->active', 'active->deprovisioning', 'deprovisioning->deprovisioned',
    ]);
    for (const h of gone.history as Array<{ at: string }>) expect(Number.isNaN(Date.parse(h.at))).toBe(false);

    const listed = await t.http.get(`/v1/tenants/${tenant.id}/services`).set(t.auth(admin)).expect(200);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([requested.id]);
  });

  it('reveals the credentials once, then 410; rotation issues new ones that the service accepts', async () => {
    const tenant = await t.createTenant();
    const { id } = await request(tenant.id);
    const active = await t.waitForServiceState(id, 'active');
    expect(active.credentials).toEqual({ available: true, revealedAt: null });

    const first = await t.http.post(`/v1/services/${id}/credentials`).set(t.auth(admin));
    expect(first.status).toBe(200);
    const projectId = String((active.endpoints as Record<string, string>).api).split('/').pop()!;
    expect(first.body.credentials).toEqual({ apiKey: upstream.projects.get(projectId)!.apiKey });

    const second = await t.http.post(`/v1/services/${id}/credentials`).set(t.auth(admin));
    expect(second.status).toBe(410);
    expect(second.body.code).toBe('credentials.already_revealed');
    expect(JSON.stringify(second.body)).not.toContain(first.body.credentials.apiKey);

    const rotated = await t.http.post(`/v1/services/${id}/credentials/rotate`).set(t.auth(admin));
    expect(rotated.status).toBe(200);
    expect(rotated.body.credentials.apiKey).not.toBe(first.body.credentials.apiKey);
    expect(rotated.body.credentials.apiKey).toBe(upstream.projects.get(projectId)!.apiKey);
    expect((await t.http.post(`/v1/services/${id}/credentials`).set(t.auth(admin))).status).toBe(410);

    const stored: Array<{ credentials_sealed: string }> = await t.dataSource.query(`SELECT credentials_sealed FROM service_instances WHERE id = $1`, [id]);
    expect(stored[0].credentials_sealed).toMatch(/^v1\./);
    expect(stored[0].credentials_sealed).not.toContain(rotated.body.credentials.apiKey);
  });

  it('retries a 503 with backoff and ends active, with the failed attempts in the history and one resource at the service', async () => {
    const tenant = await t.createTenant();
    const before = upstream.count();
    upstream.failNext(2, 503, 'service warming up', 'POST /projects');
    const { id } = await request(tenant.id);
    const active = await t.waitForServiceState(id, 'active');
    const retries = (active.history as Array<{ reason: string; error: string | null; attempt: number | null }>).filter((h) => h.reason === 'retrying');
    expect(retries.map((r) => r.attempt)).toEqual([1, 2]);
    expect(retries[0].error).toContain('service warming up');
    expect(upstream.count()).toBe(before + 1);
    const keys = new Set(upstream.requests('POST', '/projects').filter((r) => r.path === '/projects').slice(-3).map((r) => r.idempotencyKey));
    expect(keys.size).toBe(1);
  });

  it('fails at once on 401 with the service\'s own message, and makes no further attempt', async () => {
    const tenant = await t.createTenant();
    const creates = () => upstream.requests('POST', '/projects').filter((r) => r.path === '/projects').length;
    const posts = creates();
    upstream.failNext(1, 401, 'admin token revoked', 'POST /projects');
    const { id } = await request(tenant.id);
    const failed = await t.waitForServiceState(id, 'failed');
    expect(failed.failureReason).toContain('admin token revoked');
    await new Promise((r) => setTimeout(r, 600));
    expect(creates()).toBe(posts + 1);
    // the failed provision was compensated: whatever it created is removed
    expect(upstream.requests('DELETE', '/projects').some((r) => r.path === '/projects')).toBe(true);
    expect((await t.http.post(`/v1/services/${id}/resume`).set(t.auth(admin))).body.code).toBe('service.failed');
    // the way out of failed is deletion
    await t.http.delete(`/v1/services/${id}`).set(t.auth(admin)).expect(202);
    await t.waitForServiceState(id, 'deprovisioned');
  });

  it('suspends a tenant\'s services with the tenant and resumes only those, not one its owner suspended', async () => {
    const parent = await t.createTenant();
    const child = (await t.http.post('/v1/tenants').set(t.auth(admin)).send({ name: 'Child', legalName: 'Child GmbH', country: 'DE', currency: 'EUR', billingEmail: 'c@example.test', parentId: parent.id })).body;
    const a = await request(parent.id);
    const b = await request(child.id);
    await t.waitForServiceState(a.id, 'active');
    await t.waitForServiceState(b.id, 'active');
    await t.http.post(`/v1/services/${b.id}/suspend`).set(t.auth(admin)).expect(202);
    await t.waitForServiceState(b.id, 'suspended');

    await t.http.post(`/v1/tenants/${parent.id}/suspend`).set(t.auth(admin)).send({ reason: 'unpaid' }).expect(200);
    await t.waitForServiceState(a.id, 'suspended');
    await t.http.post(`/v1/tenants/${parent.id}/resume`).set(t.auth(admin)).send({}).expect(200);
    await t.waitForServiceState(a.id, 'active');
    await new Promise((r) => setTimeout(r, 800));
    expect((await t.http.get(`/v1/services/${b.id}`).set(t.auth(admin))).body.state).toBe('suspended');
  });

  it('repairs drift: a resource deleted behind our back is provisioned again by the reconciliation loop', async () => {
    const tenant = await t.createTenant();
    const { id } = await request(tenant.id);
    const active = await t.waitForServiceState(id, 'active');
    const projectId = String((active.endpoints as Record<string, string>).api).split('/').pop()!;
    upstream.projects.delete(projectId);
    const deadline = Date.now() + 15_000;
    let repaired: Record<string, unknown> = active;
    while (Date.now() < deadline) {
      repaired = (await t.http.get(`/v1/services/${id}`).set(t.auth(admin))).body;
      if (repaired.state === 'active' && (repaired.endpoints as Record<string, string>).api !== (active.endpoints as Record<string, string>).api) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const newProject = String((repaired.endpoints as Record<string, string>).api).split('/').pop()!;
    expect(newProject).not.toBe(projectId);
    expect(upstream.projects.has(newProject)).toBe(true);
    expect((repaired.history as Array<{ reason: string }>).some((h) => /drift/.test(h.reason ?? ''))).toBe(true);
  });

  it('refuses what cannot be provisioned: unknown plugin 404, a second live instance 409, a suspended tenant 409', async () => {
    const tenant = await t.createTenant();
    const unknown = await t.http.post(`/v1/tenants/${tenant.id}/services`).set(t.auth(admin)).send({ plugin: 'no-such-plugin' });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'plugin.not_found']);
    await request(tenant.id);
    const twice = await t.http.post(`/v1/tenants/${tenant.id}/services`).set(t.auth(admin)).send({ plugin: 'stub-service' });
    expect([twice.status, twice.body.code]).toEqual([409, 'service.exists']);
    const other = await t.createTenant();
    await t.http.post(`/v1/tenants/${other.id}/suspend`).set(t.auth(admin)).send({}).expect(200);
    const blocked = await t.http.post(`/v1/tenants/${other.id}/services`).set(t.auth(admin)).send({ plugin: 'stub-service' });
    expect([blocked.status, blocked.body.code]).toEqual([409, 'tenant.not_active']);
  });

  it('honours Idempotency-Key on requesting a service', async () => {
    const tenant = await t.createTenant();
    const first = await request(tenant.id, { 'idempotency-key': `svc-${tenant.id}` });
    const replay = await t.http.post(`/v1/tenants/${tenant.id}/services`).set(t.auth(admin)).set('idempotency-key', `svc-${tenant.id}`).send({ plugin: 'stub-service' });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('hides another tenant\'s service behind 404', async () => {
    const a = await t.createTenant();
    const b = await t.createTenant();
    const { id } = await request(a.id);
    const key = (await t.http.post(`/v1/tenants/${b.id}/api-keys`).set(t.auth(admin)).send({ name: 'b', scopes: ['*'] })).body.key;
    for (const [method, path] of [['get', `/v1/services/${id}`], ['post', `/v1/services/${id}/suspend`], ['post', `/v1/services/${id}/credentials`], ['delete', `/v1/services/${id}`]] as const) {
      const res = await t.http[method](path).set(t.auth(key));
      expect([res.status, res.body.code]).toEqual([404, 'service.not_found']);
    }
    expect((await t.http.get(`/v1/tenants/${a.id}/services`).set(t.auth(key))).status).toBe(404);
  });

  it('never writes a credential or the admin token to the logs', async () => {
    const secrets = [upstream.adminToken, ...[...upstream.projects.values()].map((p) => p.apiKey)];
    expect(secrets.length).toBeGreaterThan(2);
    expect(t.logs.length).toBeGreaterThan(10);
    const all = t.logs.join('\n');
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});
