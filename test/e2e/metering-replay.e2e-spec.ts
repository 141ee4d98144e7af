// Acceptance: replaying 100,000 events 1-5 times in shuffled order, plus 10 parallel copies of
// the same batch, yields usage equal to the unique total: nothing lost, nothing counted twice.
import { IngestAnswer, ingest, prng, registerMeters, usageOf } from '../support/metering';
import { startTestApp, TestApp } from '../support/test-app';

const UNIQUE = 100_000;
const PARALLEL_BATCH = 10_000;
const BATCH = 10_000;
const TENANTS = 20;
const METERS = ['replay.tokens', 'replay.requests'];

interface Ev {
  tenantId: string;
  meter: string;
  quantity: string;
  timestamp: string;
  idempotencyKey: string;
  properties?: Record<string, unknown>;
}

describe('replayed usage counts once', () => {
  let t: TestApp;
  let admin: string;
  let tenants: string[];

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    await registerMeters(t, METERS.map((key) => ({ key, unit: 'unit', aggregation: 'sum' as const, dimensions: ['model'] })));
    tenants = [];
    for (let i = 0; i < TENANTS; i++) tenants.push((await t.createTenant()).id);
  });
  afterAll(() => t?.close());

  it('100,000 events sent 1-5 times, shuffled, in batches of 10,000, plus 10 parallel copies of one batch', async () => {
    const random = prng(4242);
    const now = t.clock.now().getTime();
    // Exact expected totals in thousandths (BigInt), per tenant and meter.
    const expected = new Map<string, bigint>();
    const unique: Ev[] = [];
    for (let n = 0; n < UNIQUE; n++) {
      const tenantId = tenants[Math.floor(random() * TENANTS)];
      const meter = METERS[Math.floor(random() * METERS.length)];
      const milli = BigInt(Math.floor(random() * 5_000_000));
      const quantity = `${milli / 1000n}.${String(milli % 1000n).padStart(3, '0')}`;
      const timestamp = new Date(now - Math.floor(random() * 20 * 86_400_000) - 60_000).toISOString();
      unique.push({ tenantId, meter, quantity, timestamp, idempotencyKey: `replay-${n}`, properties: { model: `m${n % 7}` } });
      expected.set(`${tenantId}|${meter}`, (expected.get(`${tenantId}|${meter}`) ?? 0n) + milli);
    }

    // 90,000 of them replayed 1-5 times (some copies written differently: trailing zero, other offset), shuffled.
    const replayed: Ev[] = [];
    for (const e of unique.slice(PARALLEL_BATCH)) {
      const copies = 1 + Math.floor(random() * 5);
      for (let c = 0; c < copies; c++) {
        replayed.push(c === 0 || random() < 0.5 ? e : { ...e, quantity: `${e.quantity}0`, timestamp: e.timestamp.replace('Z', '+00:00') });
      }
    }
    for (let i = replayed.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [replayed[i], replayed[j]] = [replayed[j], replayed[i]];
    }
    const batches: Ev[][] = [];
    for (let i = 0; i < replayed.length; i += BATCH) batches.push(replayed.slice(i, i + BATCH));

    const answers: IngestAnswer[] = [];
    // Two requests in flight at a time; the parallel copies run in the middle of the replay.
    const parallel = unique.slice(0, PARALLEL_BATCH);
    const middle = Math.floor(batches.length / 2);
    for (let i = 0; i < batches.length; i += 2) {
      if (i === middle || i === middle + 1) answers.push(...(await Promise.all(Array.from({ length: 10 }, () => ingest(t, admin, parallel)))));
      answers.push(...(await Promise.all(batches.slice(i, i + 2).map((b) => ingest(t, admin, b)))));
    }

    const sent = replayed.length + 10 * PARALLEL_BATCH;
    expect(answers.flatMap((a) => a.rejected)).toEqual([]);
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(UNIQUE);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(sent - UNIQUE);

    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = ANY($1::uuid[])`, [tenants]);
    expect(n).toBe(UNIQUE);
    for (const tenantId of tenants) {
      const usage = await usageOf(t, admin, tenantId, { from: new Date(now - 30 * 86_400_000).toISOString(), to: new Date(now + 60_000).toISOString() });
      for (const meter of METERS) {
        const milli = expected.get(`${tenantId}|${meter}`) ?? 0n;
        const text = milli % 1000n === 0n ? String(milli / 1000n) : `${milli / 1000n}.${String(milli % 1000n).padStart(3, '0')}`.replace(/0+$/, '');
        expect({ tenantId, meter, value: usage[meter] ?? '0' }).toEqual({ tenantId, meter, value: text });
      }
    }
  }, 120_000);
});
