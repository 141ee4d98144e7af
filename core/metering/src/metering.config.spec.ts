import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMeteringConfig, METERING_VARIABLES } from './metering.config';

describe('metering configuration', () => {
  it('has defaults and reads overrides', () => {
    expect(loadMeteringConfig({})).toEqual({ collectIntervalMs: 60_000, collectLagMs: 60_000, collectMaxWindowMs: 3_600_000 });
    expect(loadMeteringConfig({ METERING_COLLECT_INTERVAL_MS: '500', METERING_COLLECT_LAG_MS: '0' })).toMatchObject({ collectIntervalMs: 500, collectLagMs: 0 });
  });

  it('names each bad variable', () => {
    expect(() => loadMeteringConfig({ METERING_COLLECT_INTERVAL_MS: '10', METERING_COLLECT_MAX_WINDOW_MS: 'an hour' })).toThrow(/METERING_COLLECT_INTERVAL_MS[\s\S]*METERING_COLLECT_MAX_WINDOW_MS/);
  });

  it('is documented in the README configuration table', () => {
    const readme = readFileSync(join(__dirname, '../../../README.md'), 'utf8');
    expect(METERING_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
