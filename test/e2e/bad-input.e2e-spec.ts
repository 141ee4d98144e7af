// Bad input answers 400/404/413/415/422 problem+json with a stable `code` (and, for validation,
// per-field `errors`), and writes nothing: every case compares the row count of every table
// before and after. Also covers the Idempotency-Key contract of POST /v1/tenants.
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { startTestApp, TestApp, tenantBody } from '../support/test-app';

const REQUIRED = ['name', 'legalName', 'country', 'currency', 'billingEmail'] as const;

describe('bad input', () => {
  let t: TestApp;
  let admin: string;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    tenantId = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody()).expect(201)).body.id;
  });
  afterAll(() => t?.close());

  /** Runs the request and checks that no table gained or lost a row (audit and idempotency keys included). */
  async function noRowWritten(request: () => PromiseLike<Response>): Promise<Response> {
    const before = await t.countRows();
    const res = await request();
    expect(await t.countRows()).toEqual(before);
    return res;
  }

  function expectProblem(res: Response, status: number, code: string): void {
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: `urn:werkbank:problem:${code}`, status, title: expect.any(String) });
  }

  /** 400 request.validation_failed whose `errors` name exactly these fields. */
  function expectInvalid(res: Response, fields: string[]): void {
    expectProblem(res, 400, 'request.validation_failed');
    expect(res.body.errors).toEqual(expect.any(Array));
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([...fields].sort());
    for (const e of res.body.errors) expect(e.message).toEqual(expect.any(String));
  }

  const postTenant = (body: unknown) => t.http.post('/v1/tenants').set(t.auth(admin)).send(body as object);

  describe('POST /v1/tenants validation', () => {
    test.each(REQUIRED)('a body without %s is refused with an error naming that field', async (field) => {
      const body = tenantBody();
      delete body[field];
      const res = await noRowWritten(() => postTenant(body));
      expectInvalid(res, [field]);
      expect(res.body.errors[0].message).toBe(`${field} is required`);
    });

    it('an empty body names every required field', async () => {
      const res = await noRowWritten(() => postTenant({}));
      expectInvalid(res, [...REQUIRED]);
    });

    test.each([
      ['name', 5],
      ['name', ''],
      ['name', 'x'.repeat(201)],
      ['legalName', ['array']],
      ['country', 'XX'],
      ['country', 'Germany'],
      ['currency', 'EURO'],
      ['currency', 'XYZ'],
      ['billingEmail', 'nope'],
      ['timeZone', 'Mars/Base'],
      ['kind', 'alien'],
      ['kind', 'operator'],
      ['vatId', 'de123456789'],
      ['parentId', 'not-a-uuid'],
      ['address', 'Hauptstraße 1'],
    ])('%s = %j is refused with 400 naming that field', async (field, value) => {
      const res = await noRowWritten(() => postTenant(tenantBody({ [field]: value })));
      expectInvalid(res, [field]);
    });

    it('an invalid nested address names the nested field', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ address: { line1: 'Hauptstraße 1', postalCode: '10117', city: 'Berlin', country: 'XX' } })));
      expectInvalid(res, ['address.country']);
    });

    it('an unknown field inside the address is refused and named with its path', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ address: { line1: 'Hauptstraße 1', postalCode: '10117', city: 'Berlin', country: 'DE', floor: 3 } })));
      expectInvalid(res, ['address.floor']);
    });

    it('an unknown extra field is refused, not silently dropped', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ isAdmin: true })));
      expectInvalid(res, ['isAdmin']);
      expect(res.body.errors[0].message).toMatch(/not a known field/);
    });

    it('server-managed fields (id, status, path) cannot be set', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ id: randomUUID(), status: 'active', path: '/' })));
      expectInvalid(res, ['id', 'status', 'path']);
    });

    test.each([
      ['a JSON array', []],
      ['a JSON string', 'tenant'],
      ['a JSON number', 42],
      ['JSON null', null],
    ])('%s as body is refused with 400 request.validation_failed', async (_name, body) => {
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', 'application/json').send(JSON.stringify(body)));
      expectInvalid(res, [...REQUIRED]);
    });

    it('an unknown parentId answers 404 tenant.not_found', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ parentId: randomUUID() })));
      expectProblem(res, 404, 'tenant.not_found');
    });

    it('a reseller under a non-operator parent answers 422 tenant.reseller_parent', async () => {
      const res = await noRowWritten(() => postTenant(tenantBody({ parentId: tenantId, kind: 'reseller' })));
      expectProblem(res, 422, 'tenant.reseller_parent');
    });
  });

  describe('malformed requests', () => {
    test.each([
      ['truncated JSON', '{"name": "x"'],
      ['a trailing comma', '{"name": "x",}'],
      ['single quotes', "{'name': 'x'}"],
    ])('%s answers 400 request.malformed_json', async (_name, raw) => {
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', 'application/json').send(raw));
      expectProblem(res, 400, 'request.malformed_json');
    });

    it('an empty body declared as JSON answers 400 request.malformed_json', async () => {
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', 'application/json').set('Content-Length', '0'));
      expectProblem(res, 400, 'request.malformed_json');
    });

    test.each([
      ['__proto__', '{"__proto__": {"isAdmin": true}, "name": "x"}'],
      ['constructor.prototype', '{"constructor": {"prototype": {"isAdmin": true}}, "name": "x"}'],
    ])('a %s key (prototype poisoning) answers 400 request.malformed_json', async (_name, raw) => {
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', 'application/json').send(raw));
      expectProblem(res, 400, 'request.malformed_json');
    });

    it('a body above BODY_LIMIT (1 MiB by default) answers 413 request.body_too_large', async () => {
      expect(t.config.bodyLimitBytes).toBe(1024 * 1024);
      const body = JSON.stringify(tenantBody({ buyerReference: 'x'.repeat(1024 * 1024) }));
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', 'application/json').send(body));
      expectProblem(res, 413, 'request.body_too_large');
    });

    it('a chunked body (no Content-Length) above BODY_LIMIT answers 413 too', async () => {
      const { Readable } = await import('node:stream');
      const fastify = t.app.getHttpAdapter().getInstance();
      const chunks = [Buffer.from('{"name":"'), Buffer.alloc(2 * 1024 * 1024, 'a'), Buffer.from('"}')];
      const res = await noRowWritten(async () => {
        const injected = await fastify.inject({
          method: 'POST', url: '/v1/tenants', payload: Readable.from(chunks),
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        return { status: injected.statusCode, headers: injected.headers, body: injected.json(), text: injected.payload } as unknown as Response;
      });
      expectProblem(res, 413, 'request.body_too_large');
    });

    test.each([
      ['text/plain', 'name=x'],
      ['application/x-www-form-urlencoded', 'name=x&legalName=y'],
      ['application/xml', '<tenant><name>x</name></tenant>'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--x--'],
      ['application/merge-patch+json', '{"name":"x"}'],
      ['application/problem+json', '{"name":"x"}'],
    ])('a %s body answers 415 request.unsupported_media_type', async (type, raw) => {
      const res = await noRowWritten(() => t.http.post('/v1/tenants').set(t.auth(admin)).set('Content-Type', type).send(raw));
      expectProblem(res, 415, 'request.unsupported_media_type');
    });

    it('a JSON body without any Content-Type answers 415', async () => {
      const res = await noRowWritten(() => t.http.patch(`/v1/tenants/${tenantId}`).set(t.auth(admin)).set('Content-Type', '').send(Buffer.from('{"name":"x"}')));
      expectProblem(res, 415, 'request.unsupported_media_type');
    });
  });

  describe('malformed ids in paths answer 404 like unknown ids', () => {
    test.each([
      ['get', '/v1/tenants/not-a-uuid', 'tenant.not_found'],
      ['get', '/v1/tenants/12345', 'tenant.not_found'],
      ['patch', '/v1/tenants/not-a-uuid', 'tenant.not_found'],
      ['post', '/v1/tenants/not-a-uuid/suspend', 'tenant.not_found'],
      ['post', '/v1/tenants/not-a-uuid/invitations', 'tenant.not_found'],
      ['get', '/v1/tenants/not-a-uuid/memberships', 'tenant.not_found'],
      ['get', '/v1/tenants/not-a-uuid/api-keys', 'tenant.not_found'],
      ['get', `/v1/tenants/${randomUUID()}`, 'tenant.not_found'],
      ['get', '/v1/users/not-a-uuid', 'user.not_found'],
      ['post', '/v1/users/not-a-uuid/deactivate', 'user.not_found'],
      ['delete', '/v1/api-keys/not-a-uuid', 'api_key.not_found'],
      ['delete', `/v1/api-keys/${randomUUID()}`, 'api_key.not_found'],
      ['delete', '/v1/memberships/not-a-uuid', 'membership.not_found'],
      ['delete', `/v1/memberships/${randomUUID()}`, 'membership.not_found'],
    ] as const)('%s %s -> 404 %s', async (method, path, code) => {
      const res = await noRowWritten(() => {
        const req = t.http[method](path).set(t.auth(admin));
        return method === 'post' || method === 'patch' ? req.send(method === 'post' && path.endsWith('invitations') ? { email: 'a@example.test', role: 'tenant_member' } : {}) : req;
      });
      expectProblem(res, 404, code);
    });

    it('an unknown route answers 404 route.not_found problem+json', async () => {
      const res = await noRowWritten(() => t.http.put(`/v1/tenants/${tenantId}`).set(t.auth(admin)).send({ name: 'x' }));
      expectProblem(res, 404, 'route.not_found');
    });

    it('a malformed tenantId filter on audit events answers 400 naming tenantId', async () => {
      const res = await noRowWritten(() => t.http.get('/v1/audit-events').query({ tenantId: 'not-a-uuid' }).set(t.auth(admin)));
      expectInvalid(res, ['tenantId']);
    });
  });

  describe('PATCH /v1/tenants/:id validation', () => {
    test.each([
      ['name', ''],
      ['name', 5],
      ['country', 'XX'],
      ['currency', 'EURO'],
      ['billingEmail', 'nope'],
      ['timeZone', 'Mars/Base'],
      ['vatId', 'de123'],
      ['parentId', randomUUID()],
      ['kind', 'reseller'],
      ['status', 'closed'],
    ])('%s = %j is refused with 400 naming that field and changes nothing', async (field, value) => {
      const before = (await t.http.get(`/v1/tenants/${tenantId}`).set(t.auth(admin))).body;
      const res = await noRowWritten(() => t.http.patch(`/v1/tenants/${tenantId}`).set(t.auth(admin)).send({ [field]: value }));
      expectInvalid(res, [field]);
      expect((await t.http.get(`/v1/tenants/${tenantId}`).set(t.auth(admin))).body).toEqual(before);
    });

    test.each(['name', 'legalName', 'country', 'currency', 'billingEmail', 'timeZone'])('%s = null (a required column) is refused with 400, not a 500', async (field) => {
      const before = (await t.http.get(`/v1/tenants/${tenantId}`).set(t.auth(admin))).body;
      const res = await noRowWritten(() => t.http.patch(`/v1/tenants/${tenantId}`).set(t.auth(admin)).send({ [field]: null }));
      expectInvalid(res, [field]);
      expect((await t.http.get(`/v1/tenants/${tenantId}`).set(t.auth(admin))).body).toEqual(before);
    });
  });

  describe('status changes', () => {
    test.each<[string, string, object]>([
      ['a reason that is not a string', 'reason', { reason: 5 }],
      ['a reason above 500 characters', 'reason', { reason: 'r'.repeat(501) }],
      ['an unknown field', 'force', { force: true }],
    ])('suspend with %s is refused with 400 naming %s and the tenant stays active', async (_name, field, body) => {
      const res = await noRowWritten(() => t.http.post(`/v1/tenants/${tenantId}/suspend`).set(t.auth(admin)).send(body));
      expectInvalid(res, [field]);
      expect((await t.http.get(`/v1/tenants/${tenantId}`).set(t.auth(admin))).body.status).toBe('active');
    });
  });

  describe('API-key scopes', () => {
    test.each<[string, string, object]>([
      ['an unknown scope', 'scopes', { name: 'k', scopes: ['root'] }],
      ['an empty gateway plugin id', 'scopes', { name: 'k', scopes: ['gateway:'] }],
      ['a wildcard permission', 'scopes', { name: 'k', scopes: ['tenants:*'] }],
      ['an empty scope list', 'scopes', { name: 'k', scopes: [] }],
      ['more than 50 scopes', 'scopes', { name: 'k', scopes: Array.from({ length: 51 }, (_, i) => `gateway:p${i}`) }],
      ['a string instead of a list', 'scopes', { name: 'k', scopes: 'tenants:read' }],
      ['a non-string scope', 'scopes', { name: 'k', scopes: [7] }],
      ['no scopes', 'scopes', { name: 'k' }],
      ['no name', 'name', { scopes: ['tenants:read'] }],
      ['an expiry that is not a date', 'expiresAt', { name: 'k', scopes: ['tenants:read'], expiresAt: 'soon' }],
      ['an expiry in the past', 'expiresAt', { name: 'k', scopes: ['tenants:read'], expiresAt: '2000-01-01T00:00:00Z' }],
    ])('%s is refused with 400 naming %s', async (_name, field, body) => {
      const res = await noRowWritten(() => t.http.post(`/v1/tenants/${tenantId}/api-keys`).set(t.auth(admin)).send(body));
      expectInvalid(res, [field]);
    });
  });

  describe('invitations', () => {
    test.each<[string, string, object]>([
      ['an unknown role', 'role', { email: 'new@example.test', role: 'god' }],
      ['no role', 'role', { email: 'new@example.test' }],
      ['an invalid e-mail', 'email', { email: 'not-an-email', role: 'tenant_member' }],
      ['no e-mail', 'email', { role: 'tenant_member' }],
      ['an unknown extra field', 'tenantId', { email: 'new@example.test', role: 'tenant_member', tenantId: randomUUID() }],
    ])('%s is refused with 400 naming %s', async (_name, field, body) => {
      const res = await noRowWritten(() => t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(admin)).send(body));
      expectInvalid(res, [field]);
    });

    test.each(['reseller_admin', 'operator_admin'])('%s on an organization tenant answers 422 membership.invalid_role', async (role) => {
      const res = await noRowWritten(() => t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(admin)).send({ email: `${role}@example.test`, role }));
      expectProblem(res, 422, 'membership.invalid_role');
    });

    it('accepting with a password shorter than 12 characters answers 400 and leaves the invitation usable', async () => {
      const email = 'short-password@example.test';
      await t.http.post(`/v1/tenants/${tenantId}/invitations`).set(t.auth(admin)).send({ email, role: 'tenant_member' }).expect(201);
      const token = t.mailer.lastToken(email);
      const res = await noRowWritten(() => t.http.post('/v1/auth/invitations/accept').send({ token, password: 'elevenchars' }));
      expectInvalid(res, ['password']);
      await t.http.post('/v1/auth/invitations/accept').send({ token, password: 'twelve-chars' }).expect(200);
    });

    test.each<[string, string, object]>([
      ['no token', 'token', { password: 'a-good-long-password' }],
      ['a password that is not a string', 'password', { token: 'some-token', password: 123456789012345 }],
    ])('accepting with %s answers 400 naming %s', async (_name, field, body) => {
      const res = await noRowWritten(() => t.http.post('/v1/auth/invitations/accept').send(body));
      expectInvalid(res, [field]);
    });

    test.each<[string, string, object]>([
      ['no token', 'token', {}],
      ['a token that is not a string', 'token', { token: 42 }],
      ['an unknown extra field', 'password', { token: 'some-token', password: 'a-good-long-password' }],
    ])('declining with %s answers 400 naming %s', async (_name, field, body) => {
      const res = await noRowWritten(() => t.http.post('/v1/auth/invitations/decline').send(body));
      expectInvalid(res, [field]);
    });

    it('accepting with an unknown token answers 400 auth.invalid_token', async () => {
      const res = await noRowWritten(() => t.http.post('/v1/auth/invitations/accept').send({ token: 'no-such-token', password: 'a-good-long-password' }));
      expectProblem(res, 400, 'auth.invalid_token');
    });
  });

  describe('pagination', () => {
    const lists = () => ['/v1/tenants', `/v1/tenants/${tenantId}/memberships`, `/v1/tenants/${tenantId}/invitations`, `/v1/tenants/${tenantId}/api-keys`, '/v1/audit-events'];

    test.each([
      ['limit=0', { limit: '0' }, 'limit'],
      ['limit=999', { limit: '999' }, 'limit'],
      ['limit=-1', { limit: '-1' }, 'limit'],
      ['limit=abc', { limit: 'abc' }, 'limit'],
      ['limit=1.5', { limit: '1.5' }, 'limit'],
    ])('%s is refused with 400 naming limit on every list', async (_name, query, field) => {
      for (const path of lists()) {
        const res = await noRowWritten(() => t.http.get(path).query(query).set(t.auth(admin)));
        expectInvalid(res, [field]);
      }
    });

    test.each([
      ['garbage', 'garbage'],
      ['base64 of a non-id', Buffer.from(JSON.stringify({ id: 'x' })).toString('base64url')],
      ['base64 of an SQL fragment', Buffer.from(JSON.stringify({ id: "' OR 1=1 --" })).toString('base64url')],
    ])('cursor=%s is refused with 400 pagination.invalid_cursor on every list', async (_name, cursor) => {
      for (const path of lists()) {
        const res = await noRowWritten(() => t.http.get(path).query({ cursor }).set(t.auth(admin)));
        expectProblem(res, 400, 'pagination.invalid_cursor');
      }
    });

    test.each([
      ['an unknown parameter', 'orderBy=name', 'orderBy'],
      ['limit given twice', 'limit=1&limit=2', 'limit'],
      ['cursor given twice', 'cursor=a&cursor=b', 'cursor'],
      ['an unknown status filter', 'status=deleted', 'status'],
      ['a malformed parentId filter', 'parentId=not-a-uuid', 'parentId'],
    ])('GET /v1/tenants with %s answers 400 naming %s', async (_name, query, field) => {
      const res = await noRowWritten(() => t.http.get(`/v1/tenants?${query}`).set(t.auth(admin)));
      expectInvalid(res, [field]);
    });
  });

  describe('Idempotency-Key on POST /v1/tenants', () => {
    const key = () => `key-${randomUUID()}`;

    it('the same key and body replays the first answer (same id) with idempotent-replayed: true and creates one tenant', async () => {
      const k = key();
      const body = tenantBody();
      const before = await t.countRows();
      const first = await postTenant(body).set('Idempotency-Key', k);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const second = await postTenant(body).set('Idempotency-Key', k);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      const after = await t.countRows();
      expect(after.tenants).toBe(before.tenants + 1);
      expect(after.idempotency_keys).toBe(before.idempotency_keys + 1);
      expect(after.audit_events).toBe(before.audit_events + 1);
    });

    it('the same body with its keys in another order is the same request', async () => {
      const k = key();
      const body = tenantBody();
      const first = await postTenant(body).set('Idempotency-Key', k).expect(201);
      const reordered = Object.fromEntries(Object.entries(body).reverse());
      const second = await noRowWritten(() => postTenant(reordered).set('Idempotency-Key', k));
      expect(second.status).toBe(201);
      expect(second.body.id).toBe(first.body.id);
    });

    it('the same key with another body answers 422 idempotency.key_reused and creates nothing', async () => {
      const k = key();
      await postTenant(tenantBody()).set('Idempotency-Key', k).expect(201);
      const res = await noRowWritten(() => postTenant(tenantBody()).set('Idempotency-Key', k));
      expectProblem(res, 422, 'idempotency.key_reused');
    });

    it('the same key on another route answers 422 idempotency.key_reused', async () => {
      const k = key();
      await postTenant(tenantBody()).set('Idempotency-Key', k).expect(201);
      const res = await noRowWritten(() => t.http.post(`/v1/tenants/${tenantId}/api-keys`).set(t.auth(admin)).set('Idempotency-Key', k).send({ name: 'k', scopes: ['*'] }));
      expectProblem(res, 422, 'idempotency.key_reused');
    });

    it('a failed (400) request does not burn the key: a valid retry with the same key succeeds', async () => {
      const k = key();
      const bad = await noRowWritten(() => postTenant(tenantBody({ country: 'XX' })).set('Idempotency-Key', k));
      expectInvalid(bad, ['country']);
      const good = await postTenant(tenantBody()).set('Idempotency-Key', k);
      expect(good.status).toBe(201);
      expect(good.headers['idempotent-replayed']).toBeUndefined();
    });

    it('a failed (404) request does not burn the key either', async () => {
      const k = key();
      const missing = await noRowWritten(() => postTenant(tenantBody({ parentId: randomUUID() })).set('Idempotency-Key', k));
      expectProblem(missing, 404, 'tenant.not_found');
      await postTenant(tenantBody()).set('Idempotency-Key', k).expect(201);
    });

    it('keys belong to their caller: another caller with the same key gets its own tenant', async () => {
      const k = key();
      const mine = await postTenant(tenantBody({ parentId: tenantId })).set('Idempotency-Key', k).expect(201);
      const apiKey = (await t.http.post(`/v1/tenants/${tenantId}/api-keys`).set(t.auth(admin)).send({ name: 'other caller', scopes: ['*'] }).expect(201)).body.key;
      const theirs = await t.http.post('/v1/tenants').set(t.auth(apiKey)).set('Idempotency-Key', k).send(tenantBody({ parentId: tenantId }));
      expect(theirs.status).toBe(201);
      expect(theirs.headers['idempotent-replayed']).toBeUndefined();
      expect(theirs.body.id).not.toBe(mine.body.id);
    });

    test.each([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
    ])('an %s key answers 400 idempotency.invalid_key', async (_name, k) => {
      const res = await noRowWritten(() => postTenant(tenantBody()).set('Idempotency-Key', k));
      expectProblem(res, 400, 'idempotency.invalid_key');
    });
  });
});
