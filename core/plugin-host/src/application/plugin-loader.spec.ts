import { candidate, GOOD_OPTIONS, manifest, plugin } from '../__tests__/plugin-fixtures';
import { ConfigError } from '@werkbank/kernel';
import { SDK_VERSION } from '@werkbank/plugin-sdk';
import { MeterRegistry } from '../domain/meter-registry';
import { PluginLoadError } from '../domain/plugin-load.error';
import { loadPlugins, type LoadPluginsInput } from './plugin-loader';

const env = { WERKBANK_PLUGIN_DEMO_OPTIONS: GOOD_OPTIONS };

function loadError(input: LoadPluginsInput): PluginLoadError {
  try {
    loadPlugins(input);
  } catch (error) {
    if (error instanceof PluginLoadError) return error;
    throw error;
  }
  throw new Error('loadPlugins did not throw');
}

describe('loadPlugins', () => {
  it('loads a valid, configured plugin as ready with validated options and registers its meters and prices', () => {
    const result = loadPlugins({ candidates: [candidate(plugin())], env });
    expect(result.plugins).toEqual([expect.objectContaining({
      id: 'demo', packageName: '@werkbank/plugin-demo', version: '1.2.3', status: 'ready',
      options: { baseUrl: 'https://demo.example', adminPassword: 's3cret-admin-pw', timeoutMs: 5000 },
    })]);
    expect(Object.isFrozen(result.plugins[0].options)).toBe(true);
    expect(result.meters.meters().map((m) => m.key)).toEqual(['demo.requests', 'demo.tokens']);
    expect(result.meters.priceSuggestions()).toEqual([expect.objectContaining({ pluginId: 'demo', meter: 'demo.tokens' })]);
    expect(result.warnings).toEqual([]);
  });

  it('lists a plugin whose required options are missing as not_configured, naming the variable', () => {
    const result = loadPlugins({ candidates: [candidate(plugin())], env: {} });
    expect(result.plugins[0]).toMatchObject({ id: 'demo', status: 'not_configured' });
    expect(result.plugins[0].configurationProblem).toBe('WERKBANK_PLUGIN_DEMO_OPTIONS is not set (options.baseUrl is required, options.adminPassword is required)');
    expect(result.meters.meters()).toHaveLength(2);
  });

  it('reads the options variable with the id upper-cased and dashes as underscores', () => {
    const result = loadPlugins({ candidates: [candidate(plugin('web-search'))], env: { WERKBANK_PLUGIN_WEB_SEARCH_OPTIONS: GOOD_OPTIONS } });
    expect(result.plugins[0].status).toBe('ready');
  });

  it('stops start-up for a plugin whose id is not its package suffix, naming package, id and what to do', () => {
    const error = loadError({ candidates: [candidate(plugin('other'), '@werkbank/plugin-demo')], env: { WERKBANK_PLUGIN_OTHER_OPTIONS: GOOD_OPTIONS } });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('@werkbank/plugin-demo (id "other"): manifest.id is "other", but the package is @werkbank/plugin-demo');
    expect(error.message).toMatch(/leave it out of WERKBANK_PLUGINS/);
  });

  it('stops start-up for a first-party plugin whose folder is not named after its id', () => {
    const error = loadError({ candidates: [candidate(plugin(), '@werkbank/plugin-demo', 'demo-plugin')], env });
    expect(error.pluginProblems).toEqual([expect.objectContaining({ field: 'manifest.id', problem: expect.stringContaining('lives in plugins/demo-plugin') })]);
  });

  it('stops start-up for present but invalid options, naming the field, the problem and the variable, never the secret', () => {
    const options = JSON.stringify({ baseUrl: 'https://demo.example', adminPassword: 'short', upstreams: ['gpu-1:11434'] });
    const error = loadError({ candidates: [candidate(plugin())], env: { WERKBANK_PLUGIN_DEMO_OPTIONS: options } });
    expect(error.message).toContain('@werkbank/plugin-demo (id "demo"): options.upstreams[0] must match pattern "^https?://" (got "gpu-1:11434"). Correct WERKBANK_PLUGIN_DEMO_OPTIONS');
    expect(error.message).toContain('options.adminPassword must NOT have fewer than 8 characters. Correct WERKBANK_PLUGIN_DEMO_OPTIONS');
    expect(error.message).not.toContain('short');
  });

  it('stops start-up for options that are not JSON', () => {
    const error = loadError({ candidates: [candidate(plugin())], env: { WERKBANK_PLUGIN_DEMO_OPTIONS: "{baseUrl: 'x'}" } });
    expect(error.problems).toEqual(['@werkbank/plugin-demo (id "demo"): options (WERKBANK_PLUGIN_DEMO_OPTIONS) is not valid JSON. Correct WERKBANK_PLUGIN_DEMO_OPTIONS: a JSON object that matches the plugin\'s options schema.']);
  });

  it('stops start-up for a plugin made for another SDK major, and says how to override', () => {
    const error = loadError({ candidates: [candidate(plugin('demo', { sdkCompatibility: '^2.0.0' }))], env });
    expect(error.message).toContain(`@werkbank/plugin-demo (id "demo"): manifest.sdkCompatibility "^2.0.0" does not include the running plugin SDK ${SDK_VERSION}.`);
    expect(error.message).toContain('set WERKBANK_PLUGIN_DEMO_IGNORE_SDK_RANGE=true');
  });

  it('checks the range against the running SDK version', () => {
    expect(() => loadPlugins({ candidates: [candidate(plugin('demo', { sdkCompatibility: '^1.0.0' }))], env, sdkVersion: '2.0.0' })).toThrow(PluginLoadError);
    expect(loadPlugins({ candidates: [candidate(plugin('demo', { sdkCompatibility: '>=1.0.0 <3' }))], env, sdkVersion: '2.4.0' }).plugins).toHaveLength(1);
  });

  it('loads an incompatible plugin when the operator overrides the range, with a warning', () => {
    const result = loadPlugins({ candidates: [candidate(plugin('demo', { sdkCompatibility: '^2.0.0' }))], env: { ...env, WERKBANK_PLUGIN_DEMO_IGNORE_SDK_RANGE: 'true' } });
    expect(result.plugins[0].status).toBe('ready');
    expect(result.warnings).toEqual([expect.stringContaining(`plugin "demo" (@werkbank/plugin-demo) declares sdkCompatibility "^2.0.0", which excludes the running plugin SDK ${SDK_VERSION}; loaded anyway because WERKBANK_PLUGIN_DEMO_IGNORE_SDK_RANGE=true`)]);
  });

  it('stops start-up for an invalid manifest, naming each field', () => {
    const error = loadError({ candidates: [candidate(plugin('demo', { modes: [], version: 'latest' }))], env });
    expect(error.pluginProblems.map((p) => p.field)).toEqual(['manifest.version', 'manifest.modes']);
    expect(error.message).toMatch(/manifest is invalid: ask its author/);
  });

  it('stops start-up for a package that exports no plugin', () => {
    const error = loadError({ candidates: [{ packageName: '@werkbank/plugin-empty', plugin: undefined as never }], env: {} });
    expect(error.problems).toEqual([expect.stringContaining('@werkbank/plugin-empty: package exports no plugin')]);
  });

  it('lists the problems of every broken plugin in one error, after discovery problems', () => {
    const error = loadError({
      problems: [{ packageName: '@werkbank/plugin-gone', field: 'package', problem: 'cannot be found', fix: 'Install it.' }],
      candidates: [
        candidate(plugin('demo', { sdkCompatibility: '^9' })),
        candidate(plugin('good')),
        candidate(plugin('other'), '@werkbank/plugin-wrong'),
      ],
      env: { ...env, WERKBANK_PLUGIN_GOOD_OPTIONS: GOOD_OPTIONS, WERKBANK_PLUGIN_OTHER_OPTIONS: '{"baseUrl": 42}' },
    });
    expect(error.pluginProblems.map((p) => `${p.packageName} ${p.field}`)).toEqual([
      '@werkbank/plugin-gone package',
      '@werkbank/plugin-demo manifest.sdkCompatibility',
      '@werkbank/plugin-wrong manifest.id',
      '@werkbank/plugin-wrong options.adminPassword',
      '@werkbank/plugin-wrong options.baseUrl',
    ]);
    expect(error.message).toMatch(/^Plugins could not be loaded \(5 problems\):\n {2}- @werkbank\/plugin-gone: package cannot be found\. Install it\.\n/);
  });

  it('refuses two plugins with the same id', () => {
    const error = loadError({ candidates: [candidate(plugin()), candidate(plugin())], env });
    expect(error.problems).toEqual([expect.stringContaining('manifest.id "demo" is also the id of @werkbank/plugin-demo')]);
  });

  it('stops start-up when a meter is already registered with another unit or aggregation', () => {
    const meters = new MeterRegistry();
    meters.declare({ kind: 'operator' }, [{ key: 'demo.tokens', unit: 'token', aggregation: 'max', description: 'peak tokens' }]);
    const error = loadError({ candidates: [candidate(plugin())], env, meters });
    expect(error.problems).toEqual([
      '@werkbank/plugin-demo (id "demo"): manifest.meters[1].aggregation of meter "demo.tokens" is "sum", but the operator registered it with aggregation "max". A meter key must mean one quantity: change the operator\'s meter, or leave it out of WERKBANK_PLUGINS.',
    ]);
    expect(meters.meters().map((m) => m.key)).toEqual(['demo.tokens']);
  });

  it('adopts a meter already registered with the same unit and aggregation', () => {
    const meters = new MeterRegistry();
    meters.declare({ kind: 'operator' }, [manifest().meters[0]]);
    loadPlugins({ candidates: [candidate(plugin())], env, meters });
    expect(meters.meter('demo.requests')?.declaredBy).toEqual([{ kind: 'operator' }, { kind: 'plugin', pluginId: 'demo' }]);
  });
});
