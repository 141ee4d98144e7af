import { GatewayAccessProvisioner, PermanentError, type Entitlements, type GatewayKeyIssuer, type PluginContext, type ProvisionRequest } from '..';

/** Keys as the core issues them: one valid key per instance, issuing again revokes the earlier one. */
function keys(): GatewayKeyIssuer & { valid: Map<string, string>; issued: number } {
  const valid = new Map<string, string>();
  const issuer = {
    valid,
    issued: 0,
    async issue({ instanceId }: { instanceId: string; tenantId: string }) {
      issuer.issued += 1;
      const key = `wbk_key${issuer.issued}`;
      valid.set(instanceId, key);
      return { keyId: `key-${issuer.issued}`, key, scope: 'gateway:web-search' };
    },
    async revoke(instanceId: string) {
      valid.delete(instanceId);
    },
  };
  return issuer;
}

const context = (gatewayKeys: GatewayKeyIssuer): PluginContext<{ url: string }> => ({
  pluginId: 'web-search',
  options: { url: 'https://gw.example' },
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  now: () => new Date('2026-11-23T00:00:00Z'),
  signal: new AbortController().signal,
  gatewayKeys,
});

const request = (entitlements: Entitlements = {}): ProvisionRequest => ({
  instanceId: 'i-1', tenant: { id: 't-1', name: 'T', slug: 't-1' }, mode: 'shared', options: {}, entitlements, requestKey: 'i-1:provision:1', attempt: 1,
});
const ref = { instanceId: 'i-1', tenant: { id: 't-1', name: 'T', slug: 't-1' }, mode: 'shared' as const, externalId: 'web-search-i-1', metadata: {} };
const meta = { requestKey: 'k', attempt: 1 };

class WebSearchProvisioner extends GatewayAccessProvisioner<{ url: string }> {
  protected override checkEntitlements(entitlements: Entitlements): void {
    if (entitlements['web-search.rpm'] !== undefined && typeof entitlements['web-search.rpm'] !== 'number') throw new PermanentError('web-search.rpm must be a number');
  }
  protected override endpoints(ctx: PluginContext<{ url: string }>): Record<string, string> {
    return { api: `${ctx.options.url}/web-search` };
  }
}

describe('GatewayAccessProvisioner', () => {
  it('provisions by issuing the instance key: credentials.apiKey, metadata.keyId, endpoints, a stable externalId', async () => {
    const issuer = keys();
    const result = await new WebSearchProvisioner().provision(context(issuer), request());
    expect(result).toEqual({ externalId: 'web-search-i-1', endpoints: { api: 'https://gw.example/web-search' }, credentials: { apiKey: 'wbk_key1' }, metadata: { keyId: 'key-1' } });
    expect(issuer.valid.get('i-1')).toBe('wbk_key1');
  });

  it('a retried provision leaves exactly one valid key, the one it returned', async () => {
    const issuer = keys();
    const provisioner = new WebSearchProvisioner();
    await provisioner.provision(context(issuer), request());
    const second = await provisioner.provision(context(issuer), request());
    expect(second.externalId).toBe('web-search-i-1');
    expect([...issuer.valid.values()]).toEqual([second.credentials!.apiKey]);
  });

  it('rotates to a new key and revokes it on deprovisioning (also when provisioning never completed)', async () => {
    const issuer = keys();
    const provisioner = new WebSearchProvisioner();
    await provisioner.provision(context(issuer), request());
    const rotated = await provisioner.rotateCredentials(context(issuer), ref, meta);
    expect(rotated).toEqual({ apiKey: 'wbk_key2' });
    expect(issuer.valid.get('i-1')).toBe('wbk_key2');
    await provisioner.deprovision(context(issuer), { ...ref, externalId: '' }, meta);
    expect(issuer.valid.size).toBe(0);
    await expect(provisioner.deprovision(context(issuer), ref, meta)).resolves.toBeUndefined();
  });

  it('checks entitlements on provision and on applyEntitlements, issuing nothing for a wrong plan', async () => {
    const issuer = keys();
    const provisioner = new WebSearchProvisioner();
    await expect(provisioner.provision(context(issuer), request({ 'web-search.rpm': 'many' }))).rejects.toBeInstanceOf(PermanentError);
    expect(issuer.issued).toBe(0);
    await expect(provisioner.applyEntitlements(context(issuer), ref, { 'web-search.rpm': 'many' }, meta)).rejects.toBeInstanceOf(PermanentError);
    await expect(provisioner.applyEntitlements(context(issuer), ref, { 'web-search.rpm': 60 }, meta)).resolves.toBeUndefined();
  });

  it('leaves suspension to the core: the key stays valid', async () => {
    const issuer = keys();
    const provisioner = new GatewayAccessProvisioner<{ url: string }>();
    const { credentials } = await provisioner.provision(context(issuer), request());
    await provisioner.suspend(context(issuer), ref, meta);
    await provisioner.resume(context(issuer), ref, meta);
    expect(issuer.valid.get('i-1')).toBe(credentials!.apiKey);
  });
});
