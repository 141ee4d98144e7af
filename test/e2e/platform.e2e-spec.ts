import { randomUUID } from 'node:crypto';
import { REDIS } from '@werkbank/kernel';
import type { Redis } from 'ioredis';
import { startTestApp, TestApp } from '../support/test-app';

type Schema = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const PROBLEM_REF = '#/components/schemas/ProblemDto';

describe('platform: health, metrics, request ids, errors and API documentation', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  describe('health', () => {
    it('GET /health/live answers 200 without authentication', async () => {
      const res = await t.http.get('/health/live');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('GET /health/ready answers 200 with postgres and redis up, without authentication', async () => {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
    });
  });

  describe('metrics', () => {
    it('GET /metrics is public without METRICS_TOKEN and answers Prometheus text with the HTTP histogram', async () => {
      await t.http.get('/health/live').expect(200);
      const res = await t.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.text).toContain('# TYPE werkbank_http_request_duration_seconds histogram');
      expect(res.text).toMatch(/^werkbank_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/m);
      expect(res.text).toMatch(/^werkbank_process_cpu_user_seconds_total /m);
    });

    it('labels requests by route template, never by raw path (bounded cardinality)', async () => {
      const id = randomUUID();
      await t.http.get(`/v1/tenants/${id}`).set(t.auth(admin)).expect(404);
      const unknown = `/no-such-route-${randomUUID()}`;
      await t.http.get(unknown).expect(404);
      const text = (await t.http.get('/metrics')).text;
      expect(text).toMatch(/route="\/v1\/tenants\/:id",status="404"/);
      expect(text).toMatch(/route="unmatched",status="404"/);
      expect(text).not.toContain(id);
      expect(text).not.toContain(unknown);
    });

    it('counts login attempts by outcome', async () => {
      await t.http.post('/v1/auth/login').send({ email: 'nobody@example.test', password: 'wrong-password-here' }).expect(401);
      const text = (await t.http.get('/metrics')).text;
      expect(text).toMatch(/^werkbank_login_attempts_total\{outcome="success"\} [1-9]/m);
      expect(text).toMatch(/^werkbank_login_attempts_total\{outcome="failure"\} [1-9]/m);
    });
  });

  describe('request ids', () => {
    it('every response carries an x-request-id, also errors, and problem documents repeat it', async () => {
      const responses = await Promise.all([
        t.http.get('/health/live'),
        t.http.get('/v1/me'),
        t.http.get('/v1/me').set(t.auth(admin)),
        t.http.get('/nope'),
        t.http.get('/metrics'),
        t.http.post('/v1/auth/login').set('content-type', 'application/json').send('{not json'),
      ]);
      const ids = responses.map((res) => res.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(ids).size).toBe(ids.length);
      for (const res of responses.filter((r) => r.status >= 400)) expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('echoes a valid incoming x-request-id and replaces an invalid one', async () => {
      const echoed = await t.http.get('/v1/me').set('x-request-id', 'client-req_42.a:b');
      expect(echoed.headers['x-request-id']).toBe('client-req_42.a:b');
      expect(echoed.body.requestId).toBe('client-req_42.a:b');
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon']) {
        const res = await t.http.get('/health/live').set('x-request-id', bad);
        expect(res.headers['x-request-id']).not.toBe(bad);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe('errors', () => {
    it('an unknown route answers 404 problem+json route.not_found', async () => {
      const res = await t.http.get('/v1/does-not-exist');
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ type: 'urn:werkbank:problem:route.not_found', title: expect.any(String), status: 404, code: 'route.not_found', instance: '/v1/does-not-exist' });
      const wrongMethod = await t.http.put('/v1/tenants').set(t.auth(admin)).send({});
      expect(wrongMethod.status).toBe(404);
      expect(wrongMethod.body.code).toBe('route.not_found');
    });

    it('malformed JSON answers 400 request.malformed_json, another media type 415', async () => {
      const malformed = await t.http.post('/v1/auth/login').set('content-type', 'application/json').send('{"email": ');
      expect(malformed.status).toBe(400);
      expect(malformed.body.code).toBe('request.malformed_json');
      const form = await t.http.post('/v1/auth/login').type('form').send({ email: 'a@b.c', password: 'x' });
      expect(form.status).toBe(415);
      expect(form.body.code).toBe('request.unsupported_media_type');
    });
  });

  describe('OpenAPI document', () => {
    let doc: Schema;
    let operations: Array<{ method: (typeof METHODS)[number]; path: string; op: Schema }>;

    const deref = (schema: Schema | undefined): Schema | undefined => {
      if (!schema?.$ref) return schema;
      const name = String(schema.$ref).replace('#/components/schemas/', '');
      const target = doc.components?.schemas?.[name];
      if (!target) throw new Error(`dangling $ref ${schema.$ref}`);
      return target;
    };

    /** The schema or one of its properties carries an example, following $ref, allOf and items. */
    const hasExample = (schema: Schema | undefined, seen = new Set<Schema>()): boolean => {
      const s = deref(schema);
      if (!s || seen.has(s)) return false;
      seen.add(s);
      if (s.example !== undefined || s.examples !== undefined) return true;
      const props = Object.values<Schema>(s.properties ?? {});
      if (props.some((p) => p.example !== undefined)) return true;
      if (props.some((p) => hasExample(p, seen))) return true;
      if (['allOf', 'oneOf', 'anyOf'].some((k) => (s[k] ?? []).some((x: Schema) => hasExample(x, seen)))) return true;
      return s.items ? hasExample(s.items, seen) : false;
    };

    beforeAll(async () => {
      const res = await t.http.get('/docs/openapi.json');
      expect(res.status).toBe(200);
      doc = res.body;
      operations = Object.entries<Schema>(doc.paths).flatMap(([path, item]) =>
        METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] })));
    });

    it('is public OpenAPI 3 with a bearer security scheme', () => {
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info).toMatchObject({ title: 'Werkbank API', version: '1' });
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });

    it('documents tags and paths for auth, tenants, users, memberships, api-keys and audit-events', () => {
      const tags = new Set(operations.flatMap(({ op }) => op.tags ?? []));
      for (const tag of ['auth', 'tenants', 'users', 'api-keys', 'audit']) expect(tags).toContain(tag);
      const documented = operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      expect(documented).toEqual(expect.arrayContaining([
        'POST /v1/auth/login', 'POST /v1/auth/refresh', 'POST /v1/auth/logout', 'POST /v1/auth/invitations/accept', 'POST /v1/auth/invitations/decline',
        'POST /v1/auth/password-reset', 'POST /v1/auth/password-reset/confirm', 'GET /v1/me',
        'POST /v1/tenants', 'GET /v1/tenants', 'GET /v1/tenants/{id}', 'PATCH /v1/tenants/{id}',
        'POST /v1/tenants/{id}/suspend', 'POST /v1/tenants/{id}/resume', 'POST /v1/tenants/{id}/close',
        'POST /v1/tenants/{id}/invitations', 'GET /v1/tenants/{id}/invitations', 'DELETE /v1/tenants/{id}/invitations/{invitationId}', 'GET /v1/tenants/{id}/memberships', 'DELETE /v1/memberships/{id}',
        'GET /v1/users/{id}', 'POST /v1/users/{id}/deactivate', 'POST /v1/users/{id}/reactivate',
        'POST /v1/tenants/{id}/api-keys', 'GET /v1/tenants/{id}/api-keys', 'DELETE /v1/api-keys/{id}',
        'GET /v1/audit-events', 'GET /health/live', 'GET /health/ready',
      ]));
      expect(Object.keys(doc.paths)).not.toContain('/metrics');
    });

    it('gives every operation a tag, a non-empty summary and description', () => {
      const missing = operations.filter(({ op }) => !(op.tags?.length > 0) || !op.summary?.trim() || !op.description?.trim());
      expect(missing.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    });

    it('gives every operation a 2xx response with a schema, or a bodiless 204/202', () => {
      const missing = operations.filter(({ op }) => !Object.entries<Schema>(op.responses ?? {}).some(([status, r]) =>
        /^2\d\d$/.test(status) && (status === '204' || (status === '202' && !r.content) || Object.values<Schema>(r.content ?? {}).some((c) => c.schema))));
      expect(missing.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    });

    it('has an example in every request body and every success response schema (following $ref)', () => {
      const missing: string[] = [];
      for (const { method, path, op } of operations) {
        for (const [type, content] of Object.entries<Schema>(op.requestBody?.content ?? {})) {
          if (!hasExample(content.schema)) missing.push(`${method} ${path} request ${type}`);
        }
        for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) {
          if (!/^2/.test(status)) continue;
          for (const [type, content] of Object.entries<Schema>(response.content ?? {})) {
            if (!hasExample(content.schema)) missing.push(`${method} ${path} ${status} ${type}`);
          }
        }
      }
      expect(missing).toEqual([]);
    });

    it('documents every error response of the API as problem+json referencing ProblemDto', () => {
      const wrong: string[] = [];
      for (const { method, path, op } of operations) {
        for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) {
          const problem = response.content?.['application/problem+json'];
          if (problem && problem.schema?.$ref !== PROBLEM_REF) wrong.push(`${method} ${path} ${status}: problem+json without ProblemDto`);
          // /health/ready answers 503 with its own readiness body, not a problem
          if (Number(status) >= 400 && path.startsWith('/v1/') && !problem) wrong.push(`${method} ${path} ${status}: not problem+json`);
        }
        if (op.security?.length && !op.responses?.['401']) wrong.push(`${method} ${path}: secured but no 401`);
      }
      expect(wrong).toEqual([]);
      expect(doc.components.schemas.ProblemDto.properties).toEqual(expect.objectContaining({
        type: expect.anything(), title: expect.anything(), status: expect.anything(), code: expect.anything(),
      }));
    });

    it('documents only routes that exist', async () => {
      const unrouted: string[] = [];
      for (const { method, path } of operations) {
        const url = path.replace(/\{[^}]+\}/g, randomUUID());
        const call = { get: () => t.http.get(url), post: () => t.http.post(url), put: () => t.http.put(url), patch: () => t.http.patch(url), delete: () => t.http.delete(url) }[method];
        const res = await call();
        if (res.body?.code === 'route.not_found') unrouted.push(`${method} ${path}`);
      }
      expect(unrouted).toEqual([]);
    });

    it('serves the documentation UI at /docs as HTML, without authentication', async () => {
      const res = await t.http.get('/docs');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<html/i);
      expect(res.text).toContain('Werkbank API');
    });
  });

  // Last: takes Redis away from the app for a moment.
  it('GET /health/ready answers 503 naming the failing check, and 200 again once it recovers', async () => {
    const redis = t.app.get<Redis>(REDIS);
    redis.disconnect();
    try {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', checks: { postgres: 'up', redis: 'down' } });
      await t.http.get('/health/live').expect(200);
    } finally {
      await redis.connect();
    }
    const back = await t.http.get('/health/ready');
    expect(back.status).toBe(200);
    expect(back.body.checks).toEqual({ postgres: 'up', redis: 'up' });
  });
});
