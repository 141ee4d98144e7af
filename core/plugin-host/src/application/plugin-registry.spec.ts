import { FixedClock, ProblemException } from '@werkbank/kernel';
import type { HealthStatus, PluginContext } from '@werkbank/plugin-sdk';
import { candidate, GOOD_OPTIONS, plugin } from '../__tests__/plugin-fixtures';
import { loadPlugins } from './plugin-loader';
import { PluginRegistry, type PluginRegistrySettings } from './plugin-registry';
import type { LogSink } from './plugin-logger';

class CapturingSink implements LogSink {
  constructor(readonly lines: Array<{ context: string; level: string; entry: Record<string, unknown> }>, readonly context: string) {}
  debug(entry: unknown) { this.lines.push({ context: this.context, level: 'debug', entry: entry as Record<string, unknown> }); }
  log(entry: unknown) { this.lines.push({ context: this.context, level: 'info', entry: entry as Record<string, unknown> }); }
  warn(entry: unknown) { this.lines.push({ context: this.context, level: 'warn', entry: entry as Record<string, unknown> }); }
  error(entry: unknown) { this.lines.push({ context: this.context, level: 'error', entry: entry as Record<string, unknown> }); }
}

const healthy: HealthStatus = { status: 'healthy', message: 'ok', checkedAt: '2026-01-01T00:00:00.000Z' };

function setup(check?: (ctx: PluginContext) => Promise<HealthStatus>, settings: PluginRegistrySettings = {}) {
  const clock = new FixedClock('2026-03-01T12:00:00Z');
  const lines: CapturingSink['lines'] = [];
  const loaded = loadPlugins({
    candidates: [candidate(plugin('demo', {}, check ? { health: { check } } : {})), candidate(plugin('unset'))],
    env: { WERKBANK_PLUGIN_DEMO_OPTIONS: GOOD_OPTIONS },
  });
  const registry = new PluginRegistry(loaded, clock, { createLogSink: (context) => new CapturingSink(lines, context), ...settings });
  return { registry, clock, lines };
}

const problemOf = (fn: () => unknown): ProblemException => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProblemException) return error;
  }
  throw new Error('no problem thrown');
};

describe('PluginRegistry', () => {
  it('lists, gets and requires plugins: 404 plugin.not_found, 409 plugin.not_configured', () => {
    const { registry } = setup();
    expect(registry.list().map((p) => [p.id, p.status])).toEqual([['demo', 'ready'], ['unset', 'not_configured']]);
    expect(registry.get('demo')?.packageName).toBe('@werkbank/plugin-demo');
    expect(registry.get('nope')).toBeUndefined();
    expect(registry.require('demo').id).toBe('demo');
    expect(problemOf(() => registry.require('nope'))).toMatchObject({ httpStatus: 404, code: 'plugin.not_found' });
    expect(problemOf(() => registry.require('unset'))).toMatchObject({ httpStatus: 409, code: 'plugin.not_configured' });
  });

  it('logs each plugin at start, and why a plugin is not configured', () => {
    const { registry, lines } = setup();
    registry.onModuleInit();
    expect(lines.map((l) => [l.level, l.entry.msg])).toEqual([
      ['info', 'plugin "demo" 1.2.3 loaded'],
      ['warn', expect.stringContaining('plugin "unset" is not configured: WERKBANK_PLUGIN_UNSET_OPTIONS is not set')],
    ]);
  });

  it('gives a plugin its options, the injected clock and the caller\'s signal', () => {
    const { registry, clock } = setup();
    const signal = new AbortController().signal;
    const ctx = registry.context('demo', signal);
    expect(ctx.pluginId).toBe('demo');
    expect(ctx.options).toEqual({ baseUrl: 'https://demo.example', adminPassword: 's3cret-admin-pw', timeoutMs: 5000 });
    expect(ctx.signal).toBe(signal);
    clock.advance(60_000);
    expect(ctx.now().toISOString()).toBe('2026-03-01T12:01:00.000Z');
    expect(registry.context('demo').signal.aborted).toBe(false);
  });

  it('gives a plugin a logger that names it and never writes its secrets', () => {
    const { registry, lines } = setup();
    const { logger } = registry.context('demo');
    logger.info('connecting to https://demo.example with s3cret-admin-pw', { attempt: 1, password: 'whatever', url: 'https://admin:s3cret-admin-pw@demo.example' });
    logger.error('failed', { error: new Error('auth s3cret-admin-pw refused') });
    expect(lines).toEqual([
      { context: 'plugin:demo', level: 'info', entry: { attempt: 1, password: '[redacted]', url: 'https://admin:[redacted]@demo.example', plugin: 'demo', msg: '[demo] connecting to https://demo.example with [redacted]' } },
      { context: 'plugin:demo', level: 'error', entry: { error: { name: 'Error', message: 'auth [redacted] refused' }, plugin: 'demo', msg: '[demo] failed' } },
    ]);
    expect(JSON.stringify(lines)).not.toContain('s3cret-admin-pw');
  });

  describe('health', () => {
    it('is null for a plugin without a health check or not configured, 404 for an unknown id', async () => {
      const { registry } = setup();
      await expect(registry.health('demo')).resolves.toBeNull();
      await expect(registry.health('unset')).resolves.toBeNull();
      await expect(registry.health('nope')).rejects.toMatchObject({ code: 'plugin.not_found' });
    });

    it('passes the plugin\'s answer through, and reuses it for 5 seconds of the clock', async () => {
      const check = jest.fn(async () => healthy);
      const { registry, clock } = setup(check);
      await expect(registry.health('demo')).resolves.toEqual(healthy);
      clock.advance(4_999);
      await registry.health('demo');
      expect(check).toHaveBeenCalledTimes(1);
      clock.advance(1);
      await registry.health('demo');
      expect(check).toHaveBeenCalledTimes(2);
    });

    it('reads a throwing check as unhealthy, with its message but without secrets', async () => {
      const { registry } = setup(async () => {
        throw new Error('login with s3cret-admin-pw refused');
      });
      await expect(registry.health('demo')).resolves.toEqual({
        status: 'unhealthy', message: 'the health check failed: login with [redacted] refused', checkedAt: '2026-03-01T12:00:00.000Z',
      });
    });

    it('reads a check slower than the timeout as unhealthy and aborts it', async () => {
      let seen: AbortSignal | undefined;
      const { registry } = setup((ctx) => {
        seen = ctx.signal;
        return new Promise(() => undefined);
      }, { healthTimeoutMs: 20 });
      await expect(registry.health('demo')).resolves.toMatchObject({ status: 'unhealthy', message: 'the health check did not answer within 0.02 s' });
      expect(seen?.aborted).toBe(true);
    });

    it('waits 3 seconds by default', async () => {
      jest.useFakeTimers();
      try {
        const { registry } = setup(() => new Promise(() => undefined));
        const result = registry.health('demo');
        await jest.advanceTimersByTimeAsync(2_999);
        let settled = false;
        void result.then(() => (settled = true));
        await Promise.resolve();
        expect(settled).toBe(false);
        await jest.advanceTimersByTimeAsync(1);
        await expect(result).resolves.toMatchObject({ status: 'unhealthy', message: 'the health check did not answer within 3 s' });
      } finally {
        jest.useRealTimers();
      }
    });

    it('reads an answer without a valid status as unhealthy', async () => {
      const { registry } = setup(async () => ({ status: 'fine' }) as never);
      await expect(registry.health('demo')).resolves.toMatchObject({ status: 'unhealthy', message: 'the health check returned no valid status' });
    });
  });
});
