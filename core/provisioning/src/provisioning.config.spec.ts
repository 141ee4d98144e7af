import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProvisioningConfig, PROVISIONING_VARIABLES } from './provisioning.config';

describe('provisioning configuration', () => {
  it('has defaults and reads overrides', () => {
    expect(loadProvisioningConfig({})).toMatchObject({ maxAttempts: 8, retryDelayMs: 2000, reconcileIntervalMs: 30_000 });
    expect(loadProvisioningConfig({ PROVISIONING_MAX_ATTEMPTS: '3' }).maxAttempts).toBe(3);
  });

  it('names each bad variable', () => {
    expect(() => loadProvisioningConfig({ PROVISIONING_MAX_ATTEMPTS: '0', PROVISIONING_RETRY_DELAY_MS: 'soon' })).toThrow(/PROVISIONING_MAX_ATTEMPTS[\s\S]*PROVISIONING_RETRY_DELAY_MS/);
  });

  it('is documented in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(PROVISIONING_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
