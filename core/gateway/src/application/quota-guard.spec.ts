import type { TenantEntitlements } from '@werkbank/metering';
import { QuotaGuard } from './quota-guard';

const period = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const at = Date.parse('2026-01-15T00:00:00.000Z');

function entitlements(used: string, hardLimit: string | null = '10', status: TenantEntitlements['status'] = 'active'): TenantEntitlements {
  return { tenantId: 't', status, generatedAt: new Date(at).toISOString(), quotas: [
    { meter: 'x.requests', period, hardLimit, softLimit: null, used },
    { meter: 'y.requests', period, hardLimit: '1', softLimit: null, used: '5' },
  ] };
}

function setup(first: TenantEntitlements) {
  let now = at;
  let next: TenantEntitlements | Error = first;
  const read = jest.fn(async () => {
    if (next instanceof Error) throw next;
    return next;
  });
  const guard = new QuotaGuard(read, 1000, () => undefined, () => now, 50);
  return { guard, read, advance: (ms: number) => (now += ms), set: (e: TenantEntitlements | Error) => (next = e) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('QuotaGuard', () => {
  it('refuses once the hard limit of one of the plugin\'s meters is reached', async () => {
    const t = setup(entitlements('10'));
    expect(await t.guard.check('t', 'x.')).toMatchObject({ allowed: false, reason: 'quota', meter: 'x.requests', hardLimit: '10', used: '10', resetsAt: period.to });
    expect(await t.guard.check('t', 'z.')).toEqual({ allowed: true });
  });

  it('counts usage emitted since the last read, until metering has answered for it', async () => {
    const t = setup(entitlements('8'));
    expect((await t.guard.check('t', 'x.')).allowed).toBe(true);
    t.guard.emitted('t', 'x.requests', '1');
    expect((await t.guard.check('t', 'x.')).allowed).toBe(true);
    t.guard.emitted('t', 'x.requests', 1);
    expect(await t.guard.check('t', 'x.')).toMatchObject({ allowed: false, used: '10' });
    // metering takes both; the next read counts them itself
    t.guard.resolved('t', 'x.requests', '2');
    t.set(entitlements('10'));
    t.advance(1000);
    await t.guard.check('t', 'x.');
    await flush();
    expect(await t.guard.check('t', 'x.')).toMatchObject({ allowed: false, used: '10' });
  });

  it('reads entitlements once per refresh interval, in the background after the first', async () => {
    const t = setup(entitlements('0'));
    await t.guard.check('t', 'x.');
    await t.guard.check('t', 'x.');
    expect(t.read).toHaveBeenCalledTimes(1);
    t.advance(1000);
    t.set(entitlements('10'));
    expect((await t.guard.check('t', 'x.')).allowed).toBe(true); // answered from the old read
    await flush();
    expect((await t.guard.check('t', 'x.')).allowed).toBe(false);
    expect(t.read).toHaveBeenCalledTimes(2);
  });

  it('ignores quotas without a hard limit or outside their period', async () => {
    const t = setup(entitlements('99', null));
    expect((await t.guard.check('t', 'x.')).allowed).toBe(true);
    const u = setup({ ...entitlements('99'), quotas: [{ meter: 'x.requests', period: { from: '2025-12-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, hardLimit: '1', softLimit: null, used: '99' }] });
    expect((await u.guard.check('t', 'x.')).allowed).toBe(true);
  });

  it('refuses a suspended tenant', async () => {
    const t = setup(entitlements('0', '10', 'suspended'));
    expect(await t.guard.check('t', 'x.')).toEqual({ allowed: false, reason: 'suspended', status: 'suspended' });
  });

  it('fails open when metering cannot answer, and keeps the last known state after a failed refresh', async () => {
    const t = setup(entitlements('10'));
    t.set(new Error('down'));
    expect((await t.guard.check('t', 'x.')).allowed).toBe(true);
    const u = setup(entitlements('10'));
    await u.guard.check('t', 'x.');
    u.set(new Error('down'));
    u.advance(1000);
    await u.guard.check('t', 'x.');
    await flush();
    expect((await u.guard.check('t', 'x.')).allowed).toBe(false);
  });

  it('does not wait longer than the first-read timeout', async () => {
    const guard = new QuotaGuard(() => new Promise(() => undefined), 1000, () => undefined, Date.now, 20);
    const started = Date.now();
    expect((await guard.check('t', 'x.')).allowed).toBe(true);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
