import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CLOCK, FixedClock } from '@werkbank/kernel';
import { candidate, GOOD_OPTIONS, plugin } from './__tests__/plugin-fixtures';
import { PluginRegistry } from './application/plugin-registry';
import { MeterRegistry } from './domain/meter-registry';
import { PluginLoadError } from './domain/plugin-load.error';
import { PluginHostModule } from './plugin-host.module';

@Global()
@Module({ providers: [{ provide: CLOCK, useValue: new FixedClock() }], exports: [CLOCK] })
class ClockModule {}

describe('PluginHostModule.forRoot', () => {
  it('provides PluginRegistry and MeterRegistry for the given plugins, reading options from env', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ClockModule, PluginHostModule.forRoot({ plugins: [candidate(plugin())], env: { WERKBANK_PLUGIN_DEMO_OPTIONS: GOOD_OPTIONS } })],
    }).compile();
    expect(moduleRef.get(PluginRegistry).require('demo').status).toBe('ready');
    expect(moduleRef.get(MeterRegistry).meters().map((m) => m.key)).toEqual(['demo.requests', 'demo.tokens']);
    await moduleRef.close();
  });

  it('throws PluginLoadError while the module is being set up, before Nest starts anything', () => {
    expect(() => PluginHostModule.forRoot({ env: { WERKBANK_PLUGINS: '@werkbank/plugin-does-not-exist' } })).toThrow(PluginLoadError);
    expect(() => PluginHostModule.forRoot({ env: { WERKBANK_PLUGINS: '@werkbank/plugin-does-not-exist' } })).toThrow(
      /@werkbank\/plugin-does-not-exist: package cannot be found/,
    );
  });

  it('starts with the repository\'s first-party plugins by default (discovery from the real repository root)', () => {
    expect(() => PluginHostModule.forRoot({ env: {} })).not.toThrow();
  });
});
