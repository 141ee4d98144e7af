import { candidate, GOOD_OPTIONS, manifest, plugin } from '../__tests__/plugin-fixtures';
import { loadPlugins } from './plugin-loader';
import { toPluginView } from './plugin-view';

const loaded = (env: Record<string, string> = { WERKBANK_PLUGIN_DEMO_OPTIONS: GOOD_OPTIONS }, extra: object = {}) =>
  loadPlugins({ candidates: [candidate(plugin('demo', extra))], env }).plugins[0];
const at = '2026-01-01T00:00:00.000Z';

describe('toPluginView', () => {
  it('is unhealthy only when a ready plugin\'s health check says so', () => {
    expect(toPluginView(loaded(), { status: 'unhealthy', checkedAt: at }).status).toBe('unhealthy');
    expect(toPluginView(loaded(), { status: 'degraded', checkedAt: at }).status).toBe('ready');
    expect(toPluginView(loaded(), null).status).toBe('ready');
    expect(toPluginView(loaded({}), null).status).toBe('not_configured');
  });

  it('shows declarations only, never options or fields a plugin added to its manifest', () => {
    const m = manifest();
    const view = toPluginView(loaded(undefined, { meters: m.meters.map((x) => ({ ...x, internalUrl: 'http://secret.internal' })) }), null);
    expect(Object.keys(view)).toEqual(['id', 'packageName', 'version', 'displayName', 'description', 'status', 'modes', 'meters', 'entitlementKeys', 'suggestedPrices', 'health']);
    expect(JSON.stringify(view)).not.toMatch(/secret\.internal|s3cret-admin-pw|demo\.example/);
  });
});
