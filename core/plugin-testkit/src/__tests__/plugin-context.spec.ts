import { FakeClock, FAKE_CLOCK_START } from '../fake-clock';
import { createPluginContext, TestLogger } from '../plugin-context';

describe('FakeClock', () => {
  it('stands still until advanced or set', () => {
    const clock = new FakeClock();
    expect(clock.now().toISOString()).toBe(FAKE_CLOCK_START);
    expect(clock.now().toISOString()).toBe(FAKE_CLOCK_START);
    expect(clock.advance(90_000).toISOString()).toBe('2026-01-01T00:01:30.000Z');
    clock.set('2025-06-01T12:00:00+02:00');
    expect(clock.now().toISOString()).toBe('2025-06-01T10:00:00.000Z');
  });

  it('hands out copies, so a caller cannot move it', () => {
    const clock = new FakeClock('2026-02-01T00:00:00Z');
    clock.now().setFullYear(1999);
    expect(clock.now().toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });

  it('refuses invalid times and going backwards with advance', () => {
    expect(() => new FakeClock('yesterday')).toThrow(RangeError);
    expect(() => new FakeClock().advance(-1)).toThrow(RangeError);
  });
});

describe('createPluginContext', () => {
  it('hands the plugin its id and options, a clock to read, a collecting logger and an abort signal', () => {
    const ctx = createPluginContext('demo', { baseUrl: 'http://x' }, { now: '2026-05-01T00:00:00Z' });
    expect(ctx.pluginId).toBe('demo');
    expect(ctx.options).toEqual({ baseUrl: 'http://x' });
    expect(ctx.now().toISOString()).toBe('2026-05-01T00:00:00.000Z');
    ctx.clock.advance(1000);
    expect(ctx.now().toISOString()).toBe('2026-05-01T00:00:01.000Z');

    ctx.logger.info('created', { id: 'p-1' });
    ctx.logger.error('failed');
    expect(ctx.logger.lines).toEqual([
      { level: 'info', message: 'created', fields: { id: 'p-1' } },
      { level: 'error', message: 'failed' },
    ]);
    expect(ctx.logger.text()).toContain('"id":"p-1"');

    expect(ctx.signal.aborted).toBe(false);
    ctx.abort(new Error('timeout'));
    expect(ctx.signal.aborted).toBe(true);
  });

  it('shares a clock and a logger when given', () => {
    const clock = new FakeClock();
    const logger = new TestLogger();
    const a = createPluginContext('a', {}, { clock, logger });
    const b = createPluginContext('b', {}, { clock, logger });
    clock.advance(5);
    a.logger.warn('from a');
    expect(b.now()).toEqual(a.now());
    expect(b.logger.lines).toHaveLength(1);
  });
});

describe('createPluginContext: gateway keys', () => {
  it('issues wbk_ keys with scope gateway:<id>, one valid per instance (issuing again revokes), and records revocations', async () => {
    const ctx = createPluginContext('demo', {});
    const first = await ctx.gatewayKeys.issue({ instanceId: 'i-1', tenantId: 't-1' });
    expect(first).toEqual({ keyId: expect.any(String), key: expect.stringMatching(/^wbk_[0-9A-Za-z]{39}$/), scope: 'gateway:demo' });
    const second = await ctx.gatewayKeys.issue({ instanceId: 'i-1', tenantId: 't-1' });
    expect(second.key).not.toBe(first.key);
    expect(ctx.gatewayKeys.current('i-1')?.key).toBe(second.key);
    expect(ctx.gatewayKeys.revoked.map((k) => k.key)).toEqual([first.key]);
    await ctx.gatewayKeys.revoke('i-1');
    await ctx.gatewayKeys.revoke('never-issued');
    expect(ctx.gatewayKeys.current('i-1')).toBeUndefined();
    expect(ctx.gatewayKeys.issued).toHaveLength(2);
  });
});
