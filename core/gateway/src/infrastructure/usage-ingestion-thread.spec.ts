import type { UsageEventInput } from '@werkbank/metering';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageIngestionThread } from './usage-ingestion-thread';

// A stand-in for core/platform's gateway-ingestion.worker speaking the same messages: it accepts
// every event, except meter "slow" (answered after the next batch), "boom" (an ingestion error)
// and "crash" (the thread dies). workerData.failStart makes it report a failed start.
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.failStart) {
  parentPort.postMessage({ type: 'failed', error: 'database unreachable' });
} else {
  let held;
  parentPort.on('message', (m) => {
    if (m.type === 'close') { setTimeout(() => process.exit(0), 50); return; }
    const meter = m.events[0] && m.events[0].meter;
    if (meter === 'crash') process.exit(3);
    const answer = meter === 'boom'
      ? { type: 'error', id: m.id, error: 'metering is down' }
      : { type: 'result', id: m.id, result: { accepted: m.events.length, duplicates: 0, rejected: [], threadId: require('node:worker_threads').threadId } };
    if (meter === 'slow') { held = answer; return; }
    parentPort.postMessage(answer);
    if (held) { parentPort.postMessage(held); held = undefined; }
  });
  parentPort.postMessage({ type: 'ready' });
}
`;

const events = (meter: string, n = 1): UsageEventInput[] =>
  Array.from({ length: n }, (_, i) => ({ tenantId: 't', meter, quantity: 1, timestamp: new Date(0).toISOString(), idempotencyKey: `gw:${meter}:${i}` }));

describe('UsageIngestionThread', () => {
  let dir: string;
  let script: string;
  const threads: UsageIngestionThread[] = [];
  const thread = (workerData: object = {}, onFailure?: (e: Error) => void) => {
    const t = new UsageIngestionThread({ script, workerData, onFailure });
    threads.push(t);
    return t;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'werkbank-ingestion-thread-'));
    script = join(dir, 'worker.js');
    writeFileSync(script, SCRIPT);
  });
  afterEach(async () => {
    await Promise.all(threads.splice(0).map((t) => t.close()));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs batches in another thread and gives each caller its own answer, in any order', async () => {
    const t = thread();
    const slow = t.ingest(events('slow', 2));
    const fast = t.ingest(events('fast', 3));
    await expect(fast).resolves.toMatchObject({ accepted: 3 });
    await expect(slow).resolves.toMatchObject({ accepted: 2 });
    const { threadId } = (await t.ingest(events('x'))) as unknown as { threadId: number };
    expect(threadId).toBeGreaterThan(0); // not the main thread (0)
    expect(t.inFlight()).toBe(0);
  });

  it('passes an ingestion error to that batch only', async () => {
    const t = thread();
    await expect(t.ingest(events('boom'))).rejects.toThrow('metering is down');
    await expect(t.ingest(events('ok'))).resolves.toMatchObject({ accepted: 1 });
  });

  it('fails the batches a crashed thread held, reports it, and starts a new thread for the next batch', async () => {
    const failures: Error[] = [];
    const t = thread({}, (e) => failures.push(e));
    const held = t.ingest(events('slow'));
    await new Promise((r) => setTimeout(r, 20)); // the held batch is in the thread before the crash
    await expect(t.ingest(events('crash'))).rejects.toThrow(/stopped \(exit code 3\)/);
    await expect(held).rejects.toThrow(/stopped \(exit code 3\)/);
    expect(failures.map((e) => e.message)).toEqual(['the usage ingestion thread stopped (exit code 3)']);
    await expect(t.ingest(events('after', 4))).resolves.toMatchObject({ accepted: 4 });
  });

  it('rejects with the reason when the thread cannot start, and tries again with the next batch', async () => {
    const failures: Error[] = [];
    const t = thread({ failStart: true }, (e) => failures.push(e));
    await expect(t.ingest(events('a'))).rejects.toThrow('the usage ingestion thread could not start: database unreachable');
    await expect(t.ingest(events('b'))).rejects.toThrow('could not start: database unreachable');
    expect(failures).toHaveLength(2);
  });

  it('stops the thread on close; batches after that are refused', async () => {
    const failures: Error[] = [];
    const t = thread({}, (e) => failures.push(e));
    await t.ingest(events('a'));
    await t.close();
    await expect(t.ingest(events('b'))).rejects.toThrow('the usage ingestion thread is closed');
    expect(failures).toEqual([]);
  });
});
