import { PermanentError } from '@werkbank/plugin-sdk';
import { createPluginContext, MemoryGatewayKeys, runPluginContractSuite } from '@werkbank/plugin-testkit';
import { FakeOllama } from './__tests__/fake-ollama';
import plugin from './index';
import { NODE_URL_PATTERN, type OllamaOptions } from './manifest';

const gpu1 = new FakeOllama({ version: '0.12.6' });
const gpu2 = new FakeOllama({ version: '0.12.7' });
beforeAll(async () => {
  await gpu1.start();
  await gpu2.start();
});
afterAll(async () => {
  await gpu1.close();
  await gpu2.close();
});

const options = (upstreams = [gpu1.url, gpu2.url]): OllamaOptions => ({
  upstreams,
  gatewayUrl: 'https://gateway.example.com/',
  models: { 'llama3.2': 'standard', 'llama3.1:70b': 'pro' },
});

// The shared contract every Werkbank plugin keeps: manifest, idempotent provisioning, the
// lifecycle round trip, health, typed errors. An instance is a gateway key on the shared pool:
// nothing is created at Ollama, so there are no resources to count and no service failures to
// provoke during provisioning.
runPluginContractSuite({
  plugin,
  options: () => options(),
  resetUpstream: () => {
    gpu1.reset();
    gpu2.reset();
  },
});

// What is particular to Ollama.
describe('ollama provisioner', () => {
  const request = (entitlements: Record<string, unknown> = {}) => ({
    requestKey: 'instance-1:provision:1',
    attempt: 1,
    instanceId: 'instance-1',
    tenant: { id: 'tenant-1', name: 'Tenant One', slug: 'tenant-one' },
    mode: 'shared' as const,
    options: {},
    entitlements: entitlements as Record<string, string[] | number>,
  });
  const ref = { instanceId: 'instance-1', tenant: { id: 'tenant-1', name: 'Tenant One', slug: 'tenant-one' }, mode: 'shared' as const, externalId: 'ollama-instance-1', metadata: {} };
  const meta = (op: string) => ({ requestKey: `instance-1:${op}:1`, attempt: 1 });

  it('issues the instance a gateway key (scope gateway:ollama) and returns it as apiKey with the gateway endpoints', async () => {
    const keys = new MemoryGatewayKeys('ollama');
    const ctx = createPluginContext('ollama', options(), { gatewayKeys: keys });
    const result = await plugin.provisioner!.provision(ctx, request());
    const current = keys.current('instance-1')!;
    expect(current).toMatchObject({ tenantId: 'tenant-1', scope: 'gateway:ollama' });
    expect(result).toEqual({
      externalId: 'ollama-instance-1',
      endpoints: { api: 'https://gateway.example.com/ollama', openai: 'https://gateway.example.com/ollama/v1' },
      credentials: { apiKey: current.key },
      metadata: { keyId: current.keyId },
    });
    expect(ctx.logger.text()).not.toContain(current.key);
  });

  it('a retried provision leaves exactly one valid key (the one it returned)', async () => {
    const keys = new MemoryGatewayKeys('ollama');
    const ctx = createPluginContext('ollama', options(), { gatewayKeys: keys });
    await plugin.provisioner!.provision(ctx, request());
    const second = await plugin.provisioner!.provision(ctx, { ...request(), attempt: 2 });
    expect(keys.issued.filter((k) => !k.revoked).map((k) => k.key)).toEqual([second.credentials!.apiKey]);
  });

  it('rotates the key: the new one is returned, the old one is revoked', async () => {
    const keys = new MemoryGatewayKeys('ollama');
    const ctx = createPluginContext('ollama', options(), { gatewayKeys: keys });
    const first = await plugin.provisioner!.provision(ctx, request());
    const rotated = await plugin.provisioner!.rotateCredentials!(ctx, ref, meta('rotate'));
    expect(rotated.apiKey).not.toBe(first.credentials!.apiKey);
    expect(keys.current('instance-1')!.key).toBe(rotated.apiKey);
    expect(keys.revoked.map((k) => k.key)).toEqual([first.credentials!.apiKey]);
  });

  it('revokes the key on deprovision, also when provisioning never completed', async () => {
    const keys = new MemoryGatewayKeys('ollama');
    const ctx = createPluginContext('ollama', options(), { gatewayKeys: keys });
    await plugin.provisioner!.provision(ctx, request());
    await plugin.provisioner!.deprovision(ctx, { ...ref, externalId: '' }, meta('deprovision'));
    expect(keys.current('instance-1')).toBeUndefined();
  });

  it('refuses entitlements that make no sense with a PermanentError naming the key', async () => {
    const ctx = createPluginContext('ollama', options());
    await expect(plugin.provisioner!.applyEntitlements(ctx, ref, { 'ollama.modelTiers': ['gold'] }, meta('entitlements'))).rejects.toThrow(PermanentError);
    await expect(plugin.provisioner!.applyEntitlements(ctx, ref, { 'ollama.modelTiers': ['gold'] }, meta('entitlements'))).rejects.toThrow(/ollama\.modelTiers/);
    await expect(plugin.provisioner!.applyEntitlements(ctx, ref, { 'ollama.requestsPerMinute': -1 }, meta('entitlements'))).rejects.toThrow(/ollama\.requestsPerMinute/);
    await expect(plugin.provisioner!.provision(ctx, request({ 'ollama.requestsPerMinute': 1.5 }))).rejects.toThrow(PermanentError);
    await expect(plugin.provisioner!.applyEntitlements(ctx, ref, { 'ollama.modelTiers': ['standard', 'pro'], 'ollama.requestsPerMinute': 60 }, meta('entitlements'))).resolves.toBeUndefined();
  });
});

describe('ollama health', () => {
  beforeEach(() => {
    gpu1.reset();
    gpu2.reset();
  });

  it('asks every node for /api/version and reports each one', async () => {
    const status = await plugin.health!.check(createPluginContext('ollama', options()));
    expect(status).toMatchObject({
      status: 'healthy',
      details: { [gpu1.url]: 'healthy (Ollama 0.12.6)', [gpu2.url]: 'healthy (Ollama 0.12.7)' },
    });
    expect(gpu1.requestsTo('/api/version')).toHaveLength(1);
    expect(gpu2.requestsTo('/api/version')).toHaveLength(1);
  });

  it('is degraded when some nodes fail, naming the failing one', async () => {
    gpu2.failWith(503);
    const status = await plugin.health!.check(createPluginContext('ollama', options()));
    expect(status.status).toBe('degraded');
    expect(status.details).toEqual({ [gpu1.url]: 'healthy (Ollama 0.12.6)', [gpu2.url]: 'unhealthy: answered 503 to GET /api/version' });
  });

  it('is unhealthy when no node answers (a refused connection included)', async () => {
    gpu1.failWith(500);
    const closed = new FakeOllama();
    await closed.start();
    const gone = closed.url;
    await closed.close();
    const status = await plugin.health!.check(createPluginContext('ollama', options([gpu1.url, gone])));
    expect(status.status).toBe('unhealthy');
    expect(status.details![gone]).toMatch(/^unhealthy: unreachable \(ECONNREFUSED\)/);
  });

  it('reports an instance with the health of the shared pool', async () => {
    const ref = { instanceId: 'i', tenant: { id: 't', name: 'T', slug: 't' }, mode: 'shared' as const, externalId: 'ollama-i', metadata: {} };
    expect(await plugin.health!.check(createPluginContext('ollama', options()), ref)).toMatchObject({ status: 'healthy' });
  });

  it('accepts only http(s) node URLs without user info (the host validates options with this pattern)', () => {
    const pattern = new RegExp(NODE_URL_PATTERN);
    expect(['http://gpu-1:11434', 'https://gpu.example.com/ollama', gpu1.url].every((u) => pattern.test(u))).toBe(true);
    expect(['http://ops:s3cret@gpu-1:11434', 'ftp://gpu-1', 'gpu-1:11434'].some((u) => pattern.test(u))).toBe(false);
  });
});
