// Meters: POST/GET /v1/meters (operator admins register, anyone authenticated lists), and the
// plugins' meters written at start-up: new keys inserted, matching ones adopted, conflicting ones
// stop start-up with a configuration error naming plugin, meter, field and the existing definition.
import { randomUUID } from 'node:crypto';
import { CLOCK, ConfigError, MAILER } from '@werkbank/kernel';
import { MeterConflictError } from '@werkbank/metering';
import { createApp } from '@werkbank/platform';
import { defineServicePlugin, MeterDefinition, SDK_VERSION, ServicePlugin } from '@werkbank/plugin-sdk';
import { asCandidate } from '../fixtures/plugins';
import { MemoryMailer, startTestApp, TestApp, userWithRole } from '../support/test-app';

function meteredPlugin(meters: MeterDefinition[], id = 'metered'): ServicePlugin {
  return defineServicePlugin({
    manifest: {
      id, version: '1.0.0', sdkCompatibility: `^${SDK_VERSION}`, displayName: 'Metered', description: 'Declares meters (tests).',
      optionsSchema: { type: 'object', properties: {}, additionalProperties: false }, modes: ['shared'], meters,
    },
  }) as ServicePlugin;
}

describe('meters', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await startTestApp({}, [asCandidate(meteredPlugin([
      { key: 'metered.requests', unit: 'request', aggregation: 'count', description: 'Requests', dimensions: ['route'] },
      { key: 'metered.users', unit: 'user', aggregation: 'unique_count', valueProperty: 'userId', description: 'Active users' },
    ]))]);
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const meters = async (token = admin) => (await t.http.get('/v1/meters').set(t.auth(token)).expect(200)).body.items as Array<Record<string, unknown>>;

  it('lists the plugin\'s meters, written at start-up with the plugin as owner', async () => {
    expect(await meters()).toEqual(expect.arrayContaining([
      expect.objectContaining({ key: 'metered.requests', unit: 'request', aggregation: 'count', dimensions: ['route'], valueProperty: null, owner: 'plugin:metered' }),
      expect.objectContaining({ key: 'metered.users', aggregation: 'unique_count', valueProperty: 'userId', owner: 'plugin:metered' }),
    ]));
  });

  it('an operator admin registers a meter (201); the identical definition again answers 200; another definition 409 meter.exists', async () => {
    const body = { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'Bytes stored', dimensions: ['service'] };
    const created = await t.http.post('/v1/meters').set(t.auth(admin)).send(body);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ ...body, valueProperty: null, owner: 'operator', createdAt: expect.any(String) });
    const again = await t.http.post('/v1/meters').set(t.auth(admin)).send(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    for (const change of [{ unit: 'gigabyte' }, { aggregation: 'latest' }, { description: 'Other words' }, { dimensions: [] }]) {
      const res = await t.http.post('/v1/meters').set(t.auth(admin)).send({ ...body, ...change });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 409, code: 'meter.exists' });
    }
    const plugins = await t.http.post('/v1/meters').set(t.auth(admin)).send({ key: 'metered.requests', unit: 'call', aggregation: 'sum', description: 'x' });
    expect(plugins.body.code).toBe('meter.exists');
    expect((await meters()).filter((m) => m.key === 'storage.bytes')).toEqual([created.body]);
  });

  it('an Idempotency-Key replays the status the first answer really had (200 for an identical meter, 201 for a new one)', async () => {
    const definition = { key: `idem.${randomUUID().slice(0, 8)}`, unit: 'call', aggregation: 'sum', description: 'Calls' };
    const post = (key: string) => t.http.post('/v1/meters').set(t.auth(admin)).set('Idempotency-Key', key).send(definition);
    const created = randomUUID();
    expect((await post(created)).status).toBe(201);
    const replayedCreate = await post(created);
    expect({ status: replayedCreate.status, replayed: replayedCreate.headers['idempotent-replayed'] }).toEqual({ status: 201, replayed: 'true' });
    const existing = randomUUID();
    const first = await post(existing);
    expect(first.status).toBe(200);
    const replayed = await post(existing);
    expect({ status: replayed.status, replayed: replayed.headers['idempotent-replayed'], body: replayed.body }).toEqual({ status: 200, replayed: 'true', body: first.body });
  });

  it('anyone authenticated lists meters; only operator admins register them (403), unauthenticated 401', async () => {
    const reseller = await t.createTenant({ kind: 'reseller' });
    const resellerAdmin = await userWithRole(t, admin, reseller.id, 'reseller_admin', `reseller-${randomUUID()}@example.test`);
    const tenant = await t.createTenant();
    const member = await userWithRole(t, admin, tenant.id, 'tenant_member', `member-${randomUUID()}@example.test`);
    const apiKey = (await t.http.post(`/v1/tenants/${t.operatorTenantId}/api-keys`).set(t.auth(admin)).send({ name: 'ops', scopes: ['*'] }).expect(201)).body.key;
    expect((await meters(member.accessToken)).length).toBeGreaterThanOrEqual(2);
    for (const token of [resellerAdmin.accessToken, member.accessToken, apiKey]) {
      const res = await t.http.post('/v1/meters').set(t.auth(token)).send({ key: `x.${randomUUID().slice(0, 8)}`, unit: 'u', aggregation: 'sum', description: 'd' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
    }
    expect((await t.http.get('/v1/meters')).status).toBe(401);
  });

  test.each<[string, string, Record<string, unknown>]>([
    ['unique_count without valueProperty', 'valueProperty', { aggregation: 'unique_count' }],
    ['an unknown aggregation', 'aggregation', { aggregation: 'avg' }],
    ['a key with spaces', 'key', { key: 'my meter' }],
    ['no unit', 'unit', { unit: undefined }],
    ['an empty description', 'description', { description: '' }],
    ['a reserved dimension', 'dimensions', { dimensions: ['day'] }],
    ['a repeated dimension', 'dimensions', { dimensions: ['model', 'model'] }],
    ['an unknown field', 'owner', { owner: 'plugin:x' }],
  ])('%s answers 400 naming %s', async (_name, field, change) => {
    const before = await t.countRows();
    const res = await t.http.post('/v1/meters').set(t.auth(admin)).send({ key: `v.${randomUUID().slice(0, 8)}`, unit: 'u', aggregation: 'sum', description: 'd', ...change });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'request.validation_failed' });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    expect(await t.countRows()).toEqual(before);
  });

  // Last in this file: a second app in this process takes over process-wide registrations (passport's
  // strategy), so from here on the first app is only reached through the database.
  describe('plugin meters at start-up, against the operator\'s', () => {
    const operatorMeter = (key: string, unit: string, aggregation: string, description: string) =>
      t.dataSource.query(`INSERT INTO meters (key, unit, aggregation, description, owner, created_at) VALUES ($1, $2, $3, $4, 'operator', now())`, [key, unit, aggregation, description]);
    const stored = async (): Promise<Array<Record<string, unknown>>> => t.dataSource.query(`SELECT key, unit, aggregation, description, owner FROM meters ORDER BY key`);

    /** Boots another API process on the same database with this plugin; resolves with the app or rejects with the start-up error. */
    async function boot(plugin: ServicePlugin) {
      const app = await createApp(t.config, {
        logDestination: { write: () => undefined }, plugins: [asCandidate(plugin)], overrides: [{ provide: MAILER, useValue: new MemoryMailer() }, { provide: CLOCK, useValue: t.clock }],
      });
      try {
        await app.init();
        return app;
      } catch (error) {
        await app.close().catch(() => undefined);
        throw error;
      }
    }

    it('a plugin adopts the operator\'s meter with the same unit and aggregation (the owner stays) and adds its new ones', async () => {
      await operatorMeter('adopt.queries', 'query', 'sum', 'Registered before the plugin');
      const plugin = meteredPlugin([
        { key: 'adopt.queries', unit: 'query', aggregation: 'sum', description: 'The plugin\'s words' },
        { key: 'adopt.points', unit: 'point', aggregation: 'time_weighted', description: 'Stored points' },
      ], 'adopt');
      const app = await boot(plugin);
      await app.close();
      const listed = await stored();
      expect(listed.find((m) => m.key === 'adopt.queries')).toMatchObject({ owner: 'operator', description: 'Registered before the plugin' });
      expect(listed.find((m) => m.key === 'adopt.points')).toMatchObject({ owner: 'plugin:adopt', aggregation: 'time_weighted' });
    });

    it('a conflicting definition stops start-up with a configuration error naming plugin, meter, field and the registered definition', async () => {
      await operatorMeter('clash.tokens', 'token', 'sum', 'Tokens');
      const before = await t.countRows();
      const error = await boot(meteredPlugin([
        { key: 'clash.tokens', unit: 'token', aggregation: 'max', description: 'Tokens' },
        { key: 'clash.fresh', unit: 'x', aggregation: 'sum', description: 'would be new' },
      ], 'clash')).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(MeterConflictError);
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('plugin "clash"');
      expect(message).toContain('"clash.tokens"');
      expect(message).toContain('aggregation "max"');
      expect(message).toContain('registered with aggregation "sum" (unit "token", aggregation sum, owner operator)');
      expect(message).toContain('WERKBANK_PLUGINS');
      // all or nothing: the plugin's other meter was not written either
      expect(await t.countRows()).toEqual(before);
      expect((await stored()).some((m) => m.key === 'clash.fresh')).toBe(false);
    });
  });
});
