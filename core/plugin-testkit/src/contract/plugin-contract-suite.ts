import { beforeEach, describe, it } from '@jest/globals';
import { contractChecks, type PluginContractSuiteOptions } from './contract-checks';

/**
 * Registers the plugin contract tests for one plugin (call it at the top level of a spec file):
 * the manifest, idempotent provisioning on the request key, the suspend/resume/deprovision round
 * trip, usage records, health, and typed errors. Tests of capabilities the plugin does not have
 * are not registered; tests that need the fake upstream's help (countResources, failWith,
 * usageSetup) check more when it is given.
 */
export function runPluginContractSuite<Options = Record<string, unknown>>(suite: PluginContractSuiteOptions<Options>): void {
  const checks = contractChecks(suite);
  const groups = [...new Set(checks.map((c) => c.group))];
  describe(`${suite.plugin.manifest.id}: plugin contract (@werkbank/plugin-testkit)`, () => {
    if (suite.resetUpstream) {
      const reset = suite.resetUpstream;
      beforeEach(async () => {
        await reset();
      });
    }
    for (const group of groups) {
      describe(group, () => {
        for (const c of checks.filter((x) => x.group === group)) it(c.name, () => c.run(), suite.timeoutMs ?? 10_000);
      });
    }
  });
}
