import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SDK_VERSION } from '@werkbank/plugin-sdk';
import { asCandidate, echoPlugin, flakyPlugin, needsConfigPlugin } from '../fixtures/plugins';
import { startTestApp, TEST_JWT_SECRET, TestApp, tenantBody, userWithRole } from '../support/test-app';

const ECHO_TOKEN = 'echo-admin-token-7f3c9a';

describe('plugins API', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Jest gives every test file its own copy of process.env: this reaches only this suite's app.
    process.env.WERKBANK_PLUGIN_ECHO_OPTIONS = JSON.stringify({ apiToken: ECHO_TOKEN });
    t = await startTestApp({}, [echoPlugin, needsConfigPlugin, flakyPlugin].map(asCandidate));
  });
  afterAll(async () => {
    delete process.env.WERKBANK_PLUGIN_ECHO_OPTIONS;
    await t.close();
  });

  const list = async (token?: string) => {
    const res = await t.http.get('/v1/plugins').set(t.auth(token ?? (await t.adminToken())));
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, any>>;
  };

  it('lists a configured plugin as ready, with its meters, entitlement keys, suggested prices and live health', async () => {
    const echo = (await list()).find((p) => p.id === 'echo');
    expect(echo).toEqual({
      id: 'echo',
      packageName: '@werkbank/plugin-echo',
      version: '1.4.0',
      displayName: 'Echo',
      description: 'Answers every request with itself; a fixture for tests.',
      status: 'ready',
      modes: ['shared', 'dedicated'],
      meters: [
        { key: 'echo.requests', unit: 'request', aggregation: 'count', description: 'Requests answered' },
        { key: 'echo.bytes', unit: 'byte', aggregation: 'sum', description: 'Bytes echoed', dimensions: ['direction'] },
      ],
      entitlementKeys: [
        { key: 'echo.maxRequestsPerMinute', type: 'integer', description: 'Rate limit per tenant', default: 60 },
        { key: 'echo.tier', type: 'enum', values: ['basic', 'pro'], description: 'Service tier', default: 'basic' },
      ],
      suggestedPrices: [
        { meter: 'echo.requests', currency: 'EUR', unitPrice: '0.10', perQuantity: '1000', model: 'package', includedQuantity: '10000', description: 'per 1000 requests' },
      ],
      health: { status: 'healthy', message: 'echo answers', details: { node: 'healthy' }, checkedAt: expect.any(String) },
    });
  });

  it('lists a plugin whose required options are missing as not_configured, without health', async () => {
    expect((await list()).find((p) => p.id === 'needs-config')).toMatchObject({ status: 'not_configured', health: null, modes: ['dedicated'] });
  });

  it('lists a configured plugin whose health check throws as unhealthy, with the reason', async () => {
    expect((await list()).find((p) => p.id === 'flaky')).toMatchObject({
      status: 'unhealthy',
      health: { status: 'unhealthy', message: 'the health check failed: connect ECONNREFUSED 127.0.0.1:9', checkedAt: expect.any(String) },
    });
  });

  it('lists plugins in load order and never shows option values', async () => {
    const res = await t.http.get('/v1/plugins').set(t.auth(await t.adminToken()));
    expect(res.body.items.map((p: { id: string }) => p.id)).toEqual(['echo', 'needs-config', 'flaky']);
    expect(res.text).not.toContain(ECHO_TOKEN);
    expect(res.text).not.toContain('echo.invalid');
    expect(res.body.items.every((p: object) => !('options' in p))).toBe(true);
  });

  it('answers one plugin by id, and 404 plugin.not_found for an unknown id', async () => {
    const admin = await t.adminToken();
    const one = await t.http.get('/v1/plugins/needs-config').set(t.auth(admin));
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 'needs-config', status: 'not_configured', meters: [expect.objectContaining({ key: 'needs-config.instances' })] });
    const missing = await t.http.get('/v1/plugins/nope').set(t.auth(admin));
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body.code).toBe('plugin.not_found');
  });

  it('answers 401 without credentials', async () => {
    for (const path of ['/v1/plugins', '/v1/plugins/echo']) {
      const res = await t.http.get(path);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth.unauthenticated');
    }
  });

  it('lets any logged-in user and any API key list the plugins', async () => {
    const admin = await t.adminToken();
    const tenant = (await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody())).body;
    const member = await userWithRole(t, admin, tenant.id, 'tenant_member', 'plugins-member@example.test');
    expect((await list(member.accessToken)).map((p) => p.id)).toEqual(['echo', 'needs-config', 'flaky']);
    const key = (await t.http.post(`/v1/tenants/${tenant.id}/api-keys`).set(t.auth(admin)).send({ name: 'ro', scopes: ['tenants:read'] })).body.key;
    expect((await list(key)).map((p) => p.id)).toEqual(['echo', 'needs-config', 'flaky']);
  });

  it('documents both routes in OpenAPI under the tag plugins', async () => {
    const doc = (await t.http.get('/docs/openapi.json')).body;
    expect(doc.paths['/v1/plugins'].get).toMatchObject({ tags: ['plugins'], summary: 'List plugins' });
    expect(doc.paths['/v1/plugins'].get.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/PluginListDto');
    expect(doc.paths['/v1/plugins/{id}'].get.responses['404'].description).toContain('plugin.not_found');
    expect(doc.components.schemas.PluginDto.properties.status.enum).toEqual(['ready', 'not_configured', 'unhealthy']);
  });
});

/**
 * The real processes: `node apps/api/dist/main.js` (and the worker) with broken plugins installed
 * outside the repository and reached through NODE_PATH, as an operator would run them.
 */
describe('start-up with broken plugins (built processes)', () => {
  const repoRoot = resolve(__dirname, '../..');
  const PASSWORD = 'hunter2-very-secret';
  let dir: string;

  const install = (name: string, manifest: Record<string, unknown>) => {
    const pkg = join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name, version: '1.0.0', main: 'index.js' }));
    const full = {
      version: '1.0.0', sdkCompatibility: '^1.0.0', displayName: name, description: 'broken on purpose', modes: ['shared'], meters: [],
      optionsSchema: { type: 'object', properties: {} }, ...manifest,
    };
    writeFileSync(join(pkg, 'index.js'), `"use strict";\nexports.default = { manifest: ${JSON.stringify(full)} };\n`);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'werkbank-plugins-'));
    install('@werkbank/plugin-renamed', { id: 'other-name' });
    install('@werkbank/plugin-strict', {
      id: 'strict',
      optionsSchema: {
        type: 'object',
        properties: { url: { type: 'string', pattern: '^https?://' }, adminPassword: { type: 'string', writeOnly: true, minLength: 30 } },
        required: ['url'],
      },
    });
    install('@werkbank/plugin-future', { id: 'future', sdkCompatibility: '^2.0.0' });
    install('@werkbank/plugin-unset', { id: 'unset', optionsSchema: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] } });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(entry: string, plugins: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const script = join(repoRoot, entry);
    if (!existsSync(script)) throw new Error(`${entry} is missing: build first with npx tsc -b apps/api apps/worker`);
    return new Promise((done) => {
      const child = spawn(process.execPath, [script], {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          NODE_PATH: join(dir, 'node_modules'),
          DATABASE_URL: process.env.WERKBANK_TEST_DATABASE_URL ?? 'postgres://127.0.0.1:1/none',
          REDIS_URL: process.env.WERKBANK_TEST_REDIS_URL ?? 'redis://127.0.0.1:1',
          JWT_SECRET: TEST_JWT_SECRET,
          WERKBANK_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
          LOG_LEVEL: 'warn',
          PORT: '1',
          WERKBANK_PLUGINS: plugins,
          ...extraEnv,
        },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      // a process that did not stop at the plugins would keep running: end it, the test then fails
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        done({ code, stdout, stderr });
      });
    });
  }

  const ALL = '@werkbank/plugin-renamed,@werkbank/plugin-strict,@werkbank/plugin-future,@werkbank/plugin-unset';
  const OPTIONS = { WERKBANK_PLUGIN_STRICT_OPTIONS: JSON.stringify({ url: 'ftp://files.example', adminPassword: PASSWORD }) };

  it.each([['api', 'apps/api/dist/main.js'], ['worker', 'apps/worker/dist/main.js']])(
    'the %s exits 1 naming every broken plugin, the field, the problem and what to do, without stack trace or secret',
    async (_name, entry) => {
      const { code, stdout, stderr } = await run(entry, ALL, OPTIONS);
      expect(code).toBe(1);
      expect(stderr).toContain('Plugins could not be loaded (4 problems):');
      expect(stderr).toContain('@werkbank/plugin-renamed (id "other-name"): manifest.id is "other-name", but the package is @werkbank/plugin-renamed');
      expect(stderr).toContain('@werkbank/plugin-strict (id "strict"): options.url must match pattern "^https?://" (got "ftp://files.example"). Correct WERKBANK_PLUGIN_STRICT_OPTIONS');
      expect(stderr).toContain('@werkbank/plugin-strict (id "strict"): options.adminPassword must NOT have fewer than 30 characters');
      expect(stderr).toContain(`@werkbank/plugin-future (id "future"): manifest.sdkCompatibility "^2.0.0" does not include the running plugin SDK ${SDK_VERSION}.`);
      expect(stderr).toContain('WERKBANK_PLUGIN_FUTURE_IGNORE_SDK_RANGE=true');
      expect(stderr).not.toContain('plugin-unset'); // missing options only: not_configured, not an error
      expect(`${stdout}${stderr}`).not.toContain(PASSWORD);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
    30_000,
  );
});
