import { PermanentError, SDK_VERSION, type ServicePluginManifest } from '@werkbank/plugin-sdk';
import { contractChecks, type PluginContractSuiteOptions } from '../contract/contract-checks';
import { sampleSuite, SampleService, type SampleBugs, type SampleOptions } from './sample-plugin';

/** Runs every check like the suite does (reset before each) and returns the failures by name. */
async function failures(suite: PluginContractSuiteOptions<SampleOptions>): Promise<Record<string, string>> {
  const failed: Record<string, string> = {};
  for (const check of contractChecks(suite)) {
    await suite.resetUpstream?.();
    try {
      await check.run();
    } catch (error) {
      failed[`${check.group}: ${check.name}`] = error instanceof Error ? error.message : String(error);
    }
  }
  return failed;
}

const withBugs = (bugs: SampleBugs) => sampleSuite(new SampleService(), bugs);

describe('plugin contract checks', () => {
  it('pass for a plugin that keeps the contract', async () => {
    const suite = withBugs({});
    expect(await failures(suite)).toEqual({});
    expect(contractChecks(suite).map((c) => c.group)).toEqual(expect.arrayContaining(['manifest', 'provisioner', 'usage collector', 'health', 'errors']));
  });

  it('catch a provision that creates a second resource for a repeated request key', async () => {
    const failed = await failures(withBugs({ duplicateOnRetry: true }));
    expect(Object.keys(failed)).toEqual(['provisioner: creates one resource for a repeated request key (a retried provision) and returns the same externalId']);
  });

  it('catch a second resource at the service behind the same externalId (via countResources)', async () => {
    const failed = await failures(withBugs({ duplicateBehindSameId: true }));
    expect(failed).toEqual({
      'provisioner: creates one resource for a repeated request key (a retried provision) and returns the same externalId': expect.stringContaining('"resourcesCreated": 2'),
    });
  });

  it('catch a deprovision that fails when the resource is already gone', async () => {
    const failed = await failures(withBugs({ deprovisionFailsWhenGone: true }));
    expect(Object.keys(failed).sort()).toEqual([
      'provisioner: deprovisions an instance the service does not know (unknown externalId)',
      "provisioner: deprovisions an instance whose provisioning never completed (externalId '')",
      'provisioner: deprovisions twice without error (a retry, then a new request) and leaves nothing behind',
    ]);
  });

  it('catch errors that are not the SDK typed errors', async () => {
    const failed = await failures(withBugs({ untypedErrors: true }));
    expect(Object.keys(failed).every((name) => name.startsWith('errors: '))).toBe(true);
    expect(Object.keys(failed)).toHaveLength(5);
    expect(failed['errors: turns a 401 from the service into a PermanentError (provision)']).toMatch(/expected a PermanentError, got Error: service answered 401/);
  });

  it('catch an admin token in error messages', async () => {
    const failed = await failures(withBugs({ tokenInErrors: true }));
    expect(Object.keys(failed)).toHaveLength(5);
    expect(failed['errors: turns a 503 from the service into a RetryableError (provision)']).toMatch(/the error message contains a write-only option \(sa…\(18 chars\)\)/);
  });

  it('catch credentials in the log', async () => {
    const failed = await failures(withBugs({ logsCredentials: true }));
    expect(Object.keys(failed)).toEqual(['provisioner: never logs credentials or write-only options']);
  });

  it('catch usage keys that change between collections of the same window', async () => {
    const failed = await failures(withBugs({ unstableUsageKeys: true }));
    expect(Object.keys(failed)).toEqual(['usage collector: yields the same idempotency keys when the same window is collected twice']);
  });

  it('catch usage records with an undeclared meter or a number quantity', async () => {
    const failed = await failures(withBugs({ sloppyUsage: true }));
    const message = failed['usage collector: reports only declared meters, with idempotency keys, decimal-string quantities and timestamps inside the window'];
    expect(message).toMatch(/meter "requests" is not declared/);
    expect(message).toMatch(/quantity 3 is not a decimal string/);
  });

  it('catch a manifest whose SDK range does not cover the current SDK, with the reason', async () => {
    const suite = withBugs({});
    const manifest: ServicePluginManifest = { ...suite.plugin.manifest, sdkCompatibility: '^0.9.0' };
    const failed = await failures({ ...suite, plugin: { ...suite.plugin, manifest } });
    expect(failed).toEqual({
      [`manifest: declares an sdkCompatibility range that covers the current SDK (${SDK_VERSION})`]: expect.stringContaining(`'^0.9.0' does not cover the current @werkbank/plugin-sdk ${SDK_VERSION}`),
    });
  });

  it('catch a missing capability method', async () => {
    const suite = withBugs({});
    const provisioner = { ...suite.plugin.provisioner!, resume: undefined as never };
    const failed = await failures({ ...suite, plugin: { ...suite.plugin, provisioner } });
    expect(failed['manifest: implements every method of the capabilities it declares']).toMatch(/provisioner\.resume is not a function/);
  });

  it('name the error a failing plugin call threw', async () => {
    const suite = withBugs({});
    const provisioner = {
      ...suite.plugin.provisioner!,
      applyEntitlements: async () => {
        throw new PermanentError('limit must be an integer');
      },
    };
    const failed = await failures({ ...suite, plugin: { ...suite.plugin, provisioner } });
    expect(failed['provisioner: applies the declared default entitlements']).toBe('applyEntitlements failed with PermanentError: limit must be an integer');
  });

  it('register no provisioner, usage or error checks for a plugin without those capabilities', () => {
    const { plugin } = withBugs({});
    const checks = contractChecks({ plugin: { manifest: plugin.manifest, health: plugin.health }, options: { baseUrl: 'x', adminToken: 'y' } });
    expect([...new Set(checks.map((c) => c.group))]).toEqual(['manifest', 'health']);
  });

  it('refuse failWith without resetUpstream (the failure would leak into the next test)', () => {
    const { plugin, options, failWith } = withBugs({});
    expect(() => contractChecks({ plugin, options, failWith })).toThrow(/failWith needs resetUpstream/);
  });
});
