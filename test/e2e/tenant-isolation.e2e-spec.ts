// The cross-tenant matrix: who may reach which tenant, user, API key and membership.
//
//   operator ─┬─ R1 (reseller) ─┬─ C1          actors: r1Admin (reseller_admin on R1), r2Admin (reseller_admin on R2),
//             │                 └─ C2                  c1Admin, f1Admin, f2Admin (tenant_admin), c1Member (tenant_member on C1),
//             ├─ R2 (reseller) ─── C3                  uViewer (billing_viewer on U), c2Key (API key of C2, scope *),
//             └─ U (university) ─┬─ F1 ─── I1          f1Key (API key of F1, scope tenants:read)
//                                └─ F2
//
// Rules: what the caller cannot see answers 404, byte for byte like a random id, and says nothing
// about the target; what it can see but may not do answers 403; a refused request writes nothing.
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { startTestApp, TestApp, tenantBody, userWithRole } from '../support/test-app';

type Actor = 'r1Admin' | 'r2Admin' | 'c1Admin' | 'f1Admin' | 'f2Admin' | 'c1Member' | 'uViewer' | 'c2Key' | 'f1Key';
type TenantLabel = 'OP' | 'R1' | 'R2' | 'C1' | 'C2' | 'C3' | 'U' | 'F1' | 'F2' | 'I1';
/** Users that only exist to be looked at (they accepted their invitations and never act). */
type Bystander = 'c2Member' | 'c3Member' | 'i1Member' | 'shared';
type Kind = 'tenant' | 'user' | 'apiKey' | 'membership';

interface RouteSpec {
  kind: Kind;
  /** the code of this route's 404 */
  notFound: string;
  request(id: string): { method: 'get' | 'post' | 'patch' | 'delete'; path: string; body?: object };
}

let emailCounter = 0;
const ROUTES = {
  'GET tenant': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'get', path: `/v1/tenants/${id}` }) },
  'PATCH tenant': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'patch', path: `/v1/tenants/${id}`, body: { buyerReference: 'matrix' } }) },
  'POST suspend': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'post', path: `/v1/tenants/${id}/suspend`, body: { reason: 'matrix' } }) },
  'POST resume': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'post', path: `/v1/tenants/${id}/resume`, body: {} }) },
  'POST child tenant': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'post', path: '/v1/tenants', body: tenantBody({ parentId: id }) }) },
  'POST invitation': {
    kind: 'tenant', notFound: 'tenant.not_found',
    request: (id) => ({ method: 'post', path: `/v1/tenants/${id}/invitations`, body: { email: `matrix-${++emailCounter}@isolation.test`, role: 'tenant_member' } }),
  },
  'GET memberships': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'get', path: `/v1/tenants/${id}/memberships` }) },
  'GET invitations': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'get', path: `/v1/tenants/${id}/invitations` }) },
  'GET api-keys': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'get', path: `/v1/tenants/${id}/api-keys` }) },
  'POST api-keys': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'post', path: `/v1/tenants/${id}/api-keys`, body: { name: 'matrix', scopes: ['tenants:read'] } }) },
  'GET audit-events': { kind: 'tenant', notFound: 'tenant.not_found', request: (id) => ({ method: 'get', path: `/v1/audit-events?tenantId=${id}` }) },
  'GET user': { kind: 'user', notFound: 'user.not_found', request: (id) => ({ method: 'get', path: `/v1/users/${id}` }) },
  'POST deactivate user': { kind: 'user', notFound: 'user.not_found', request: (id) => ({ method: 'post', path: `/v1/users/${id}/deactivate`, body: {} }) },
  'DELETE api-key': { kind: 'apiKey', notFound: 'api_key.not_found', request: (id) => ({ method: 'delete', path: `/v1/api-keys/${id}` }) },
  'DELETE membership': { kind: 'membership', notFound: 'membership.not_found', request: (id) => ({ method: 'delete', path: `/v1/memberships/${id}` }) },
} satisfies Record<string, RouteSpec>;
type Route = keyof typeof ROUTES;

/** Every tenant-scoped route: a foreign tenant answers 404 on each of them. */
const TENANT_ROUTES: Route[] = [
  'GET tenant', 'PATCH tenant', 'POST suspend', 'POST resume', 'POST child tenant', 'POST invitation',
  'GET invitations', 'GET memberships', 'GET api-keys', 'POST api-keys', 'GET audit-events',
];

/**
 * A target names the object the request is about; its kind follows from the route:
 * tenants by label ('C2'), users by name ('f2Admin'), API keys by their tenant ('key:C3'),
 * memberships by the user and tenant holding them ('c2Member@C2').
 */
interface Case {
  actor: Actor;
  route: Route;
  target: string;
  status: number;
  code?: string;
}

const everyTenantRoute = (actor: Actor, target: TenantLabel, status = 404): Case[] => TENANT_ROUTES.map((route) => ({ actor, route, target, status }));

const PROBLEM_KEYS = ['type', 'title', 'status', 'code', 'detail', 'instance', 'requestId'];

describe('tenant isolation', () => {
  let t: TestApp;
  const tenants = {} as Record<TenantLabel, { id: string; name: string; legalName: string; billingEmail: string }>;
  const users = {} as Record<Actor | Bystander, { id: string; email: string }>;
  const tokens = {} as Record<Actor, string>;
  const apiKeys: Record<string, { id: string; name: string; prefix: string }> = {};
  const memberships: Record<string, string> = {};
  const invitations = {} as Record<TenantLabel, { id: string; email: string }>;

  /** The id a target stands for, and strings of the target that a refusal must not contain. */
  function resolve(kind: Kind, target: string): { id: string; secrets: string[] } {
    if (kind === 'tenant') {
      const tenant = tenants[target as TenantLabel];
      return { id: tenant.id, secrets: [tenant.name, tenant.legalName, tenant.billingEmail] };
    }
    if (kind === 'user') {
      const user = users[target as Actor | Bystander];
      return { id: user.id, secrets: [user.email] };
    }
    if (kind === 'apiKey') {
      const key = apiKeys[target];
      return { id: key.id, secrets: [key.name, key.prefix] };
    }
    const [userName, label] = target.split('@');
    return { id: memberships[target], secrets: [users[userName as Bystander].email, tenants[label as TenantLabel].name] };
  }

  function send(actor: Actor | 'admin', spec: ReturnType<RouteSpec['request']>, token?: string) {
    const req = t.http[spec.method](spec.path).set(t.auth(token ?? tokens[actor as Actor]));
    return spec.body === undefined ? req : req.send(spec.body);
  }

  /** A hash of every row of every table (API keys' last_used_at aside: authenticating with a key touches it). */
  async function fingerprint(): Promise<Record<string, string>> {
    const tables: Array<{ table_name: string }> = await t.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const sql = tables
      .map(({ table_name }) => `SELECT '${table_name}' AS name, md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) AS hash FROM (SELECT to_jsonb(x) - 'last_used_at' AS r FROM "${table_name}" x) s`)
      .join(' UNION ALL ');
    const rows: Array<{ name: string; hash: string }> = await t.dataSource.query(sql);
    return Object.fromEntries(rows.map((r) => [r.name, r.hash]));
  }

  async function expectNoWrites<T>(fn: () => Promise<T>): Promise<T> {
    const [countsBefore, hashBefore] = [await t.countRows(), await fingerprint()];
    const result = await fn();
    expect(await t.countRows()).toEqual(countsBefore); // audit_events and idempotency_keys included
    expect(await fingerprint()).toEqual(hashBefore); // and no UPDATE either
    return result;
  }

  const comparable = (body: Record<string, unknown>) => ({
    keys: Object.keys(body).sort(), type: body.type, title: body.title, status: body.status, code: body.code, detail: body.detail,
  });

  beforeAll(async () => {
    t = await startTestApp();
    const admin = await t.adminToken();
    const op = await t.http.get(`/v1/tenants/${t.operatorTenantId}`).set(t.auth(admin)).expect(200);
    tenants.OP = op.body;

    const createTenant = async (label: TenantLabel, parent: TenantLabel, kind?: 'reseller') => {
      const res = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({
        name: `Isolation ${label} Name`, legalName: `Isolation ${label} Legal GmbH`, billingEmail: `billing-${label.toLowerCase()}@isolation.test`,
        parentId: tenants[parent].id, ...(kind ? { kind } : {}),
      }));
      if (res.status !== 201) throw new Error(`creating ${label}: ${res.status} ${JSON.stringify(res.body)}`);
      tenants[label] = res.body;
    };
    await createTenant('R1', 'OP', 'reseller');
    await createTenant('R2', 'OP', 'reseller');
    await createTenant('U', 'OP');
    await createTenant('C1', 'R1');
    await createTenant('C2', 'R1');
    await createTenant('C3', 'R2');
    await createTenant('F1', 'U');
    await createTenant('F2', 'U');
    await createTenant('I1', 'F1');

    const membershipId = async (userId: string, label: TenantLabel) =>
      ((await t.dataSource.query(`SELECT id FROM memberships WHERE user_id = $1 AND tenant_id = $2`, [userId, tenants[label].id])) as Array<{ id: string }>)[0].id;

    const people: Array<[Actor, TenantLabel, string]> = [
      ['r1Admin', 'R1', 'reseller_admin'], ['r2Admin', 'R2', 'reseller_admin'], ['c1Admin', 'C1', 'tenant_admin'],
      ['f1Admin', 'F1', 'tenant_admin'], ['f2Admin', 'F2', 'tenant_admin'], ['c1Member', 'C1', 'tenant_member'], ['uViewer', 'U', 'billing_viewer'],
    ];
    for (const [actor, label, role] of people) {
      const email = `${actor.toLowerCase()}@isolation.test`;
      const session = await userWithRole(t, admin, tenants[label].id, role, email);
      tokens[actor] = session.accessToken;
      users[actor] = { id: session.userId, email };
      memberships[`${actor}@${label}`] = await membershipId(session.userId, label);
    }
    const bystanders: Array<[Bystander, TenantLabel]> = [['c2Member', 'C2'], ['c3Member', 'C3'], ['i1Member', 'I1'], ['shared', 'C1'], ['shared', 'C3']];
    for (const [name, label] of bystanders) {
      const email = `${name.toLowerCase()}@isolation.test`;
      const session = await userWithRole(t, admin, tenants[label].id, 'tenant_member', email);
      users[name] = { id: session.userId, email };
      memberships[`${name}@${label}`] = await membershipId(session.userId, label);
    }
    // open invitations to look at: one per tenant that the invitation routes below aim at
    for (const label of ['C1', 'C2', 'C3', 'I1'] as TenantLabel[]) {
      const email = `pending-${label.toLowerCase()}@isolation.test`;
      const res = await t.http.post(`/v1/tenants/${tenants[label].id}/invitations`).set(t.auth(admin)).send({ email, role: 'tenant_member' });
      if (res.status !== 201) throw new Error(`inviting to ${label}: ${res.status} ${JSON.stringify(res.body)}`);
      invitations[label] = { id: res.body.invitation.id, email };
    }

    const createKey = async (label: TenantLabel, name: string, scopes: string[]) => {
      const res = await t.http.post(`/v1/tenants/${tenants[label].id}/api-keys`).set(t.auth(admin)).send({ name, scopes });
      if (res.status !== 201) throw new Error(`key for ${label}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string; name: string; prefix: string; key: string };
    };
    tokens.c2Key = (await createKey('C2', 'Isolation actor key C2', ['*'])).key;
    tokens.f1Key = (await createKey('F1', 'Isolation actor key F1', ['tenants:read'])).key;
    for (const label of ['C1', 'C2', 'C3', 'F2', 'I1', 'U'] as TenantLabel[]) {
      apiKeys[`key:${label}`] = await createKey(label, `Isolation target key ${label}`, ['tenants:read']);
    }
  });
  afterAll(() => t?.close());

  /**
   * One case of the matrix. Refusals are problem+json, carry nothing of the target, write nothing
   * (no row, no audit event, no update) and, for 404, look exactly like the 404 of a random id.
   */
  async function check({ actor, route, target, status, code }: Case): Promise<void> {
    const spec: RouteSpec = ROUTES[route];
    const { id, secrets } = resolve(spec.kind, target);
    if (status < 400) {
      const res = await send(actor, spec.request(id));
      expect({ status: res.status, body: res.body }).toEqual({ status, body: expect.anything() });
      if (route === 'GET tenant') expect(res.body.id).toBe(id);
      return;
    }
    await expectNoWrites(async () => {
      const res = await send(actor, spec.request(id));
      expect({ status: res.status, code: res.body.code }).toEqual({ status, code: code ?? (status === 404 ? spec.notFound : 'auth.forbidden') });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(PROBLEM_KEYS).toEqual(expect.arrayContaining(Object.keys(res.body)));
      for (const secret of secrets) expect(res.text).not.toContain(secret);
      if (status === 404) {
        const random = await send(actor, spec.request(randomUUID()));
        expect(comparable(random.body)).toEqual(comparable(res.body));
      }
    });
  }

  describe('a tenant admin cannot reach a sibling tenant of the same reseller (C1 admin vs C2)', () => {
    test.each(everyTenantRoute('c1Admin', 'C2'))('$actor: $route $target -> $status', check);
  });

  describe('a tenant member cannot reach a sibling tenant either (C1 member vs C2)', () => {
    test.each(everyTenantRoute('c1Member', 'C2'))('$actor: $route $target -> $status', check);
  });

  describe("a reseller admin cannot reach the other reseller or its customers", () => {
    test.each([
      ...everyTenantRoute('r1Admin', 'C3'),
      ...everyTenantRoute('r1Admin', 'R2'),
      ...everyTenantRoute('r2Admin', 'C1'),
      ...everyTenantRoute('r2Admin', 'R1'),
    ])('$actor: $route $target -> $status', check);
  });

  describe('sibling sub-tenants cannot reach each other or each other\'s children (F1 vs F2, F2 vs I1)', () => {
    test.each([
      ...everyTenantRoute('f1Admin', 'F2'),
      ...everyTenantRoute('f2Admin', 'F1'),
      ...everyTenantRoute('f2Admin', 'I1'),
    ])('$actor: $route $target -> $status', check);
  });

  describe('a child cannot see its parent or the operator', () => {
    test.each([
      ...everyTenantRoute('f1Admin', 'U'),
      ...everyTenantRoute('c1Admin', 'R1'),
      ...everyTenantRoute('r1Admin', 'OP'),
      ...everyTenantRoute('uViewer', 'OP'),
    ])('$actor: $route $target -> $status', check);
  });

  describe('an API key acts only within its own tenant\'s subtree', () => {
    test.each<Case>([
      ...everyTenantRoute('c2Key', 'C1'),
      ...everyTenantRoute('c2Key', 'R1'),
      ...everyTenantRoute('f1Key', 'F2'),
      ...everyTenantRoute('f1Key', 'U'),
      { actor: 'c2Key', route: 'GET tenant', target: 'C2', status: 200 },
      { actor: 'c2Key', route: 'GET memberships', target: 'C2', status: 200 },
      { actor: 'f1Key', route: 'GET tenant', target: 'F1', status: 200 },
      { actor: 'f1Key', route: 'GET tenant', target: 'I1', status: 200 },
    ])('$actor: $route $target -> $status', check);
  });

  describe('an API key is limited by its scopes inside its subtree (F1 key with tenants:read)', () => {
    test.each<Case>([
      'PATCH tenant', 'POST child tenant', 'POST invitation', 'GET invitations', 'GET memberships', 'GET api-keys', 'POST api-keys', 'GET audit-events',
    ].flatMap((route) => [
      { actor: 'f1Key', route: route as Route, target: 'F1', status: 403 },
      { actor: 'f1Key', route: route as Route, target: 'I1', status: 403 },
    ]))('$actor: $route $target -> $status', check);
  });

  describe('roles are inherited by the subtree', () => {
    test.each<Case>([
      // U's billing_viewer reads the whole university, down to the institute, and nothing else
      { actor: 'uViewer', route: 'GET tenant', target: 'U', status: 200 },
      { actor: 'uViewer', route: 'GET tenant', target: 'F2', status: 200 },
      { actor: 'uViewer', route: 'GET tenant', target: 'I1', status: 200 },
      ...TENANT_ROUTES.filter((r) => r !== 'GET tenant').map((route): Case => ({ actor: 'uViewer', route, target: 'I1', status: 403 })),
      ...everyTenantRoute('uViewer', 'C1'),
      // R1's reseller_admin reads and manages both of its customers
      ...(['C1', 'C2'] as TenantLabel[]).flatMap((target): Case[] => [
        { actor: 'r1Admin', route: 'GET tenant', target, status: 200 },
        { actor: 'r1Admin', route: 'PATCH tenant', target, status: 200 },
        { actor: 'r1Admin', route: 'POST invitation', target, status: 201 },
        { actor: 'r1Admin', route: 'GET invitations', target, status: 200 },
        { actor: 'r1Admin', route: 'GET memberships', target, status: 200 },
        { actor: 'r1Admin', route: 'GET api-keys', target, status: 200 },
        { actor: 'r1Admin', route: 'POST api-keys', target, status: 201 },
        { actor: 'r1Admin', route: 'GET audit-events', target, status: 200 },
      ]),
      // F1's tenant_admin manages the institute below F1
      { actor: 'f1Admin', route: 'GET tenant', target: 'I1', status: 200 },
      { actor: 'f1Admin', route: 'PATCH tenant', target: 'I1', status: 200 },
      { actor: 'f1Admin', route: 'GET memberships', target: 'I1', status: 200 },
      { actor: 'f1Admin', route: 'GET invitations', target: 'I1', status: 200 },
      { actor: 'f1Admin', route: 'GET api-keys', target: 'I1', status: 200 },
      { actor: 'f1Admin', route: 'GET audit-events', target: 'I1', status: 200 },
    ])('$actor: $route $target -> $status', check);
  });

  describe('a tenant member is refused (403) on admin-only routes of its own tenant', () => {
    test.each<Case>([
      { actor: 'c1Member', route: 'GET tenant', target: 'C1', status: 200 },
      ...TENANT_ROUTES.filter((r) => r !== 'GET tenant').map((route): Case => ({ actor: 'c1Member', route, target: 'C1', status: 403 })),
    ])('$actor: $route $target -> $status', check);
  });

  describe('nobody changes the status of the tenant their own access comes from', () => {
    test.each<Case>([
      { actor: 'c1Admin', route: 'POST suspend', target: 'C1', status: 403, code: 'tenant.own_status' },
      { actor: 'r1Admin', route: 'POST suspend', target: 'R1', status: 403, code: 'tenant.own_status' },
      { actor: 'f1Admin', route: 'POST suspend', target: 'F1', status: 403, code: 'tenant.own_status' },
      { actor: 'c2Key', route: 'POST suspend', target: 'C2', status: 403, code: 'tenant.own_status' },
    ])('$actor: $route $target -> $status $code', check);
  });

  describe("another tenant's users are invisible", () => {
    test.each<Case>([
      { actor: 'c1Admin', route: 'GET user', target: 'c2Member', status: 404 },
      { actor: 'c1Admin', route: 'GET user', target: 'f2Admin', status: 404 },
      { actor: 'c1Admin', route: 'GET user', target: 'r1Admin', status: 404 },
      { actor: 'r1Admin', route: 'GET user', target: 'c3Member', status: 404 },
      { actor: 'r2Admin', route: 'GET user', target: 'c1Member', status: 404 },
      { actor: 'f1Admin', route: 'GET user', target: 'f2Admin', status: 404 },
      { actor: 'f1Admin', route: 'GET user', target: 'uViewer', status: 404 },
      { actor: 'f2Admin', route: 'GET user', target: 'i1Member', status: 404 },
      { actor: 'c2Key', route: 'GET user', target: 'c1Admin', status: 404 },
      { actor: 'f1Key', route: 'GET user', target: 'f2Admin', status: 404 },
      { actor: 'c1Admin', route: 'POST deactivate user', target: 'c2Member', status: 404 },
      { actor: 'r2Admin', route: 'POST deactivate user', target: 'c1Member', status: 404 },
      { actor: 'f1Admin', route: 'POST deactivate user', target: 'f2Admin', status: 404 },
      { actor: 'c2Key', route: 'POST deactivate user', target: 'c1Member', status: 404 },
      // visible, but not theirs to switch off
      { actor: 'c1Member', route: 'POST deactivate user', target: 'c1Admin', status: 403 },
      { actor: 'uViewer', route: 'POST deactivate user', target: 'i1Member', status: 403 },
      { actor: 'r1Admin', route: 'POST deactivate user', target: 'shared', status: 403 },
      // visible through the subtree
      { actor: 'r1Admin', route: 'GET user', target: 'c1Member', status: 200 },
      { actor: 'uViewer', route: 'GET user', target: 'i1Member', status: 200 },
      { actor: 'f1Admin', route: 'GET user', target: 'i1Member', status: 200 },
    ])('$actor: $route $target -> $status', check);
  });

  describe("another tenant's API keys cannot be revoked", () => {
    test.each<Case>([
      { actor: 'c1Admin', route: 'DELETE api-key', target: 'key:C2', status: 404 },
      { actor: 'r1Admin', route: 'DELETE api-key', target: 'key:C3', status: 404 },
      { actor: 'r2Admin', route: 'DELETE api-key', target: 'key:C1', status: 404 },
      { actor: 'f1Admin', route: 'DELETE api-key', target: 'key:F2', status: 404 },
      { actor: 'f1Admin', route: 'DELETE api-key', target: 'key:U', status: 404 },
      { actor: 'f2Admin', route: 'DELETE api-key', target: 'key:I1', status: 404 },
      { actor: 'c2Key', route: 'DELETE api-key', target: 'key:C1', status: 404 },
      { actor: 'f1Key', route: 'DELETE api-key', target: 'key:F2', status: 404 },
      { actor: 'c1Member', route: 'DELETE api-key', target: 'key:C1', status: 403 },
      { actor: 'uViewer', route: 'DELETE api-key', target: 'key:I1', status: 403 },
      { actor: 'f1Key', route: 'DELETE api-key', target: 'key:I1', status: 403 },
    ])('$actor: $route $target -> $status', check);
  });

  describe("another tenant's memberships cannot be removed", () => {
    test.each<Case>([
      { actor: 'c1Admin', route: 'DELETE membership', target: 'c2Member@C2', status: 404 },
      { actor: 'c1Admin', route: 'DELETE membership', target: 'shared@C3', status: 404 },
      { actor: 'r1Admin', route: 'DELETE membership', target: 'c3Member@C3', status: 404 },
      { actor: 'r2Admin', route: 'DELETE membership', target: 'c1Member@C1', status: 404 },
      { actor: 'f1Admin', route: 'DELETE membership', target: 'f2Admin@F2', status: 404 },
      { actor: 'f1Admin', route: 'DELETE membership', target: 'uViewer@U', status: 404 },
      { actor: 'f2Admin', route: 'DELETE membership', target: 'i1Member@I1', status: 404 },
      { actor: 'c2Key', route: 'DELETE membership', target: 'c1Member@C1', status: 404 },
      { actor: 'f1Key', route: 'DELETE membership', target: 'f2Admin@F2', status: 404 },
      { actor: 'c1Member', route: 'DELETE membership', target: 'c1Admin@C1', status: 403 },
      { actor: 'uViewer', route: 'DELETE membership', target: 'i1Member@I1', status: 403 },
      { actor: 'f1Key', route: 'DELETE membership', target: 'i1Member@I1', status: 403 },
    ])('$actor: $route $target -> $status', check);
  });

  describe("another tenant's invitations cannot be listed or revoked", () => {
    const revoke = (actor: Actor, tenant: TenantLabel, invitationId: string) =>
      t.http.delete(`/v1/tenants/${tenants[tenant].id}/invitations/${invitationId}`).set(t.auth(tokens[actor]));

    test.each<[Actor, TenantLabel, TenantLabel, number, string]>([
      // through the foreign tenant's path: the tenant is invisible
      ['c1Admin', 'C2', 'C2', 404, 'tenant.not_found'],
      ['r1Admin', 'C3', 'C3', 404, 'tenant.not_found'],
      ['f2Admin', 'I1', 'I1', 404, 'tenant.not_found'],
      ['c2Key', 'C1', 'C1', 404, 'tenant.not_found'],
      // through the caller's own tenant: the foreign invitation does not exist there
      ['c1Admin', 'C1', 'C2', 404, 'invitation.not_found'],
      ['r1Admin', 'R1', 'C3', 404, 'invitation.not_found'],
      // invitations are scoped to exactly their tenant, not to a parent's path
      ['r1Admin', 'R1', 'C1', 404, 'invitation.not_found'],
      ['f1Admin', 'F1', 'I1', 404, 'invitation.not_found'],
      // visible, but not theirs to revoke
      ['c1Member', 'C1', 'C1', 403, 'auth.forbidden'],
      ['f1Key', 'I1', 'I1', 403, 'auth.forbidden'],
    ])('%s: DELETE via %s of the invitation on %s -> %s %s', async (actor, via, owner, status, code) => {
      await expectNoWrites(async () => {
        const res = await revoke(actor, via, invitations[owner].id);
        expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
        expect(res.text).not.toContain(invitations[owner].email);
        if (status === 404) {
          const random = await revoke(actor, via, randomUUID());
          expect(comparable(random.body)).toEqual(comparable(res.body));
        }
      });
      const [row] = await t.dataSource.query(`SELECT revoked_at FROM invitations WHERE id = $1`, [invitations[owner].id]);
      expect(row.revoked_at).toBeNull();
    });

    it("a tenant admin's list holds its own tenant's invitations only", async () => {
      const res = await t.http.get(`/v1/tenants/${tenants.C1.id}/invitations`).set(t.auth(tokens.c1Admin));
      expect(res.status).toBe(200);
      expect(res.body.items.map((i: { id: string }) => i.id)).toContain(invitations.C1.id);
      for (const label of ['C2', 'C3', 'I1'] as TenantLabel[]) expect(res.text).not.toContain(invitations[label].email);
      const parent = await t.http.get(`/v1/tenants/${tenants.R1.id}/invitations`).set(t.auth(tokens.r1Admin));
      expect(parent.text).not.toContain(invitations.C1.email);
    });
  });

  describe('GET /v1/tenants lists exactly the caller\'s visible subtree', () => {
    const VISIBLE: Record<Actor, TenantLabel[]> = {
      r1Admin: ['R1', 'C1', 'C2'], r2Admin: ['R2', 'C3'], c1Admin: ['C1'], c1Member: ['C1'], f1Admin: ['F1', 'I1'], f2Admin: ['F2'],
      uViewer: ['U', 'F1', 'F2', 'I1'], c2Key: ['C2'], f1Key: ['F1', 'I1'],
    };
    const ids = (labels: TenantLabel[]) => labels.map((l) => tenants[l].id).sort();

    test.each(Object.entries(VISIBLE) as Array<[Actor, TenantLabel[]]>)('%s sees exactly %j', async (actor, labels) => {
      const res = await t.http.get('/v1/tenants').set(t.auth(tokens[actor]));
      expect(res.status).toBe(200);
      expect(res.body.items.map((x: { id: string }) => x.id).sort()).toEqual(ids(labels));
      expect(res.body.nextCursor).toBeNull();
    });

    it('the operator admin sees every tenant', async () => {
      const res = await t.http.get('/v1/tenants').set(t.auth(await t.adminToken()));
      expect(res.body.items.map((x: { id: string }) => x.id).sort()).toEqual(ids(Object.keys(tenants) as TenantLabel[]));
    });

    it('paging with limit=1 walks the same subtree and nothing more', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.http.get('/v1/tenants').query({ limit: 1, ...(cursor ? { cursor } : {}) }).set(t.auth(tokens.uViewer)).expect(200);
        seen.push(...res.body.items.map((x: { id: string }) => x.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(ids(VISIBLE.uViewer));
    });

    it('a parentId filter on a foreign tenant yields an empty list, not its children', async () => {
      const res = await t.http.get('/v1/tenants').query({ parentId: tenants.R2.id }).set(t.auth(tokens.r1Admin));
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([]);
      expect(res.text).not.toContain(tenants.C3.name);
    });
  });

  describe('audit trail without a tenant filter', () => {
    test.each<[Actor, TenantLabel[]]>([
      ['r1Admin', ['R1', 'C1', 'C2']], ['r2Admin', ['R2', 'C3']], ['c1Admin', ['C1']], ['f1Admin', ['F1', 'I1']], ['c2Key', ['C2']],
    ])('%s reads only events of %j', async (actor, labels) => {
      const res = await t.http.get('/v1/audit-events').query({ limit: 200 }).set(t.auth(tokens[actor]));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      const allowed = labels.map((l) => tenants[l].id);
      for (const event of res.body.items) expect(allowed).toContain(event.tenantId);
    });

    test.each<Actor>(['c1Member', 'uViewer', 'f1Key'])('%s, without audit:read anywhere, is refused with 403', async (actor) => {
      const res = await t.http.get('/v1/audit-events').set(t.auth(tokens[actor]));
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.items).toBeUndefined();
    });
  });

  describe('what a visible resource reveals', () => {
    it('a user shared with another reseller shows only the memberships the caller can see', async () => {
      const res = await t.http.get(`/v1/users/${users.shared.id}`).set(t.auth(tokens.r1Admin));
      expect(res.status).toBe(200);
      expect(res.body.memberships.map((m: { tenantId: string }) => m.tenantId)).toEqual([tenants.C1.id]);
      expect(res.text).not.toContain(tenants.C3.id);
      expect(res.text).not.toContain(tenants.C3.name);
    });

    it("a foreign tenant's 404 is identical to a random id's 404 (same type, title, code, detail, fields)", async () => {
      const foreign = await t.http.get(`/v1/tenants/${tenants.C2.id}`).set(t.auth(tokens.c1Admin));
      const random = await t.http.get(`/v1/tenants/${randomUUID()}`).set(t.auth(tokens.c1Admin));
      expect(foreign.status).toBe(404);
      expect(comparable(foreign.body)).toEqual(comparable(random.body));
      expect(foreign.body).toEqual({ ...random.body, instance: `/v1/tenants/${tenants.C2.id}`, requestId: foreign.body.requestId });
    });
  });

  describe('refusals leave no trace', () => {
    it('a refused write records no audit event for its request', async () => {
      const attempts = [
        () => t.http.patch(`/v1/tenants/${tenants.C2.id}`).set(t.auth(tokens.c1Admin)).send({ name: 'Hijacked' }),
        () => t.http.post(`/v1/tenants/${tenants.C1.id}/suspend`).set(t.auth(tokens.c1Member)).send({ reason: 'nope' }),
        () => t.http.delete(`/v1/api-keys/${apiKeys['key:C1'].id}`).set(t.auth(tokens.c2Key)),
      ];
      const before = (await t.countRows()).audit_events;
      for (const attempt of attempts) {
        const res = await attempt();
        expect([403, 404]).toContain(res.status);
        expect(await t.dataSource.query(`SELECT id FROM audit_events WHERE request_id = $1`, [res.body.requestId])).toEqual([]);
      }
      expect((await t.countRows()).audit_events).toBe(before);
    });

    it('a refused POST with an Idempotency-Key stores no key, so the refusal is not replayed as a success later', async () => {
      const key = `iso-${randomUUID()}`;
      const body = { name: 'smuggled', scopes: ['*'] };
      const first = await expectNoWrites(() => t.http.post(`/v1/tenants/${tenants.C2.id}/api-keys`).set(t.auth(tokens.c1Admin)).set('Idempotency-Key', key).send(body));
      expect(first.status).toBe(404);
      const again = await t.http.post(`/v1/tenants/${tenants.C2.id}/api-keys`).set(t.auth(tokens.c1Admin)).set('Idempotency-Key', key).send(body);
      expect(again.status).toBe(404);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('allowed management keeps working', () => {
    it('R1 admin suspends and resumes its customer C1; F1 admin suspends and resumes I1', async () => {
      for (const [actor, label] of [['r1Admin', 'C1'], ['f1Admin', 'I1']] as Array<[Actor, TenantLabel]>) {
        const suspended = await t.http.post(`/v1/tenants/${tenants[label].id}/suspend`).set(t.auth(tokens[actor])).send({ reason: 'test' });
        expect({ status: suspended.status, state: suspended.body.status }).toEqual({ status: 200, state: 'suspended' });
        const resumed = await t.http.post(`/v1/tenants/${tenants[label].id}/resume`).set(t.auth(tokens[actor])).send({});
        expect({ status: resumed.status, state: resumed.body.status }).toEqual({ status: 200, state: 'active' });
      }
    });
  });
});
