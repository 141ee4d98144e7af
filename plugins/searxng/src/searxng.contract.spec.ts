import { PermanentError } from '@werkbank/plugin-sdk';
import { createPluginContext, runPluginContractSuite } from '@werkbank/plugin-testkit';
import { FakeSearxng } from './__tests__/fake-searxng';
import plugin from './index';

const fake = new FakeSearxng();
beforeAll(() => fake.start());
// a test fails when the plugin called an endpoint the fake does not serve
afterEach(() => fake.verify());
afterAll(() => fake.close());

// The shared contract every Werkbank plugin keeps: manifest, idempotent provisioning, the
// lifecycle round trip, usage records, health, typed errors.
runPluginContractSuite({
  plugin,
  options: () => ({ baseUrl: fake.url, adminToken: fake.adminToken }),
  countResources: () => fake.countResources(),
  resetUpstream: () => fake.reset(),
  failWith: (status) => fake.failWith(status),
  usageSetup: (ref, window) =>
    fake.addUsage(ref.externalId, [
      { at: new Date(window.from.getTime() + 60_000), requests: 42 },
      { at: new Date(window.from.getTime() + 120_000), requests: 1 },
      { at: new Date(window.from.getTime() + 180_000), requests: 7 },
      // the window's end is exclusive: not collected
      { at: window.to, requests: 1000 },
    ]),
});

// What is particular to Searxng.
describe('searxng plugin', () => {
  const provision = (ctx: ReturnType<typeof context>) =>
    plugin.provisioner!.provision(ctx, {
      requestKey: 'instance-1:provision:1',
      attempt: 1,
      instanceId: 'instance-1',
      tenant: { id: 'tenant-1', name: 'Tenant One', slug: 'tenant-one' },
      mode: 'shared',
      options: {},
      entitlements: { 'searxng.monthlyRequestLimit': 500 },
    });
  const context = (adminToken = fake.adminToken) => createPluginContext(plugin.manifest.id, { baseUrl: fake.url, adminToken });

  beforeEach(() => fake.reset());

  it('sends the request key as Idempotency-Key and the plan limit with the new project', async () => {
    await provision(context());
    const [create] = fake.requests.filter((r) => r.method === 'POST' && r.path === '/projects');
    expect(create.headers['idempotency-key']).toBe('instance-1:provision:1');
    expect(create.body).toEqual({ name: 'wb-instance-1', tenant: 'tenant-one', monthlyRequestLimit: 500 });
  });

  it("refuses a wrong admin token with a PermanentError in the service's words", async () => {
    const attempt = provision(context('wrong-token'));
    await expect(attempt).rejects.toBeInstanceOf(PermanentError);
    await expect(attempt).rejects.toThrow(/answered 401 to POST \/projects: invalid admin token/);
  });
});
