import type { IngestResult, UsageEventInput } from '@werkbank/metering';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageJournal } from '../infrastructure/usage-journal';
import { UsageEmitter } from './usage-emitter';

const event = (n: number): UsageEventInput => ({ tenantId: 't', meter: 'x.requests', quantity: '1', timestamp: '2026-01-01T00:00:00.000Z', idempotencyKey: `gw:${n}:0` });

/** A metering stand-in that dedupes by idempotency key, and can be switched off. */
class FakeMetering {
  readonly stored = new Map<string, UsageEventInput>();
  up = true;
  calls = 0;
  async ingest(events: UsageEventInput[]): Promise<IngestResult> {
    this.calls += 1;
    if (!this.up) throw new Error('connection refused');
    let accepted = 0;
    for (const e of events) {
      if (!this.stored.has(e.idempotencyKey)) accepted += 1;
      this.stored.set(e.idempotencyKey, e);
    }
    return { accepted, duplicates: events.length - accepted, rejected: [] };
  }
}

const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('UsageEmitter', () => {
  let dir: string;
  const settings = { flushMs: 10, batchSize: 3, ingestTimeoutMs: 200, bufferMax: 50, retryMs: 20 };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-journal-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function start(metering: FakeMetering) {
    const journal = new UsageJournal(dir);
    await journal.open();
    const resolved: number[] = [];
    const emitter = new UsageEmitter((e) => metering.ingest(e), journal, settings, { resolved: (events) => resolved.push(events.length) });
    emitter.start();
    return { journal, emitter, resolved, stop: async () => { await emitter.close(); await journal.close(); } };
  }

  const segments = async () => (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));

  it('sends usage in batches off the request path', async () => {
    const metering = new FakeMetering();
    const t = await start(metering);
    for (let i = 0; i < 7; i++) t.emitter.emit([event(i)]);
    await waitUntil('all delivered', () => metering.stored.size === 7);
    expect(metering.calls).toBeLessThanOrEqual(3);
    await t.stop();
  });

  it('journals usage while metering is down and delivers it exactly once when it is back', async () => {
    const metering = new FakeMetering();
    metering.up = false;
    const t = await start(metering);
    for (let i = 0; i < 10; i++) t.emitter.emit([event(i)]);
    await waitUntil('journaled', async () => (await segments()).length > 0 && t.emitter.backlog().buffered === 0);
    expect(metering.stored.size).toBe(0);
    metering.up = true;
    await waitUntil('delivered', () => metering.stored.size === 10);
    await waitUntil('journal emptied', async () => (await segments()).length === 0 && !t.emitter.backlog().journalPending);
    // and sends directly again
    t.emitter.emit([event(10)]);
    await waitUntil('direct', () => metering.stored.size === 11);
    await t.stop();
  });

  it('counts an ingest that times out as failed; a late commit and the redelivery count once', async () => {
    const metering = new FakeMetering();
    let slow = true;
    const journal = new UsageJournal(dir);
    await journal.open();
    const emitter = new UsageEmitter(async (events) => {
      if (slow) {
        slow = false;
        await new Promise((r) => setTimeout(r, 400)); // beyond the 200 ms timeout, then commits
      }
      return metering.ingest(events);
    }, journal, settings);
    emitter.start();
    emitter.emit([event(1), event(2)]);
    await waitUntil('delivered', async () => metering.stored.size === 2 && (await segments()).length === 0, 5000);
    expect([...metering.stored.keys()].sort()).toEqual(['gw:1:0', 'gw:2:0']);
    await emitter.close();
    await journal.close();
  });

  it('keeps journaled usage across a restart and delivers it first', async () => {
    const metering = new FakeMetering();
    metering.up = false;
    const first = await start(metering);
    for (let i = 0; i < 5; i++) first.emitter.emit([event(i)]);
    await first.stop(); // the last flush fails too: journaled
    expect((await segments()).length).toBeGreaterThan(0);
    metering.up = true;
    const second = await start(metering);
    await waitUntil('replayed', async () => metering.stored.size === 5 && (await segments()).length === 0);
    await second.stop();
  });

  it('redelivers a segment whose removal a crash prevented; metering counts it once', async () => {
    const metering = new FakeMetering();
    await writeFile(join(dir, 'usage-01900000-0000-7000-8000-000000000000.ndjson'), `${JSON.stringify({ events: [event(1), event(2)] })}\n{"events":[`);
    await metering.ingest([event(1), event(2)]); // delivered before the crash
    const damaged: number[] = [];
    const results: IngestResult[] = [];
    const journal = new UsageJournal(dir);
    await journal.open();
    const emitter = new UsageEmitter((e) => metering.ingest(e), journal, settings, { damaged: (_s, lines) => damaged.push(lines), resolved: (_e, r) => results.push(r) });
    emitter.start();
    await waitUntil('segment delivered and removed', async () => (await segments()).length === 0);
    expect(metering.stored.size).toBe(2);
    expect(results).toEqual([{ accepted: 0, duplicates: 2, rejected: [] }]);
    expect(damaged).toEqual([1]); // the torn last line is reported
    await emitter.close();
    await journal.close();
  });

  it('is saturated when metering and the journal both fail', async () => {
    const metering = new FakeMetering();
    metering.up = false;
    const journal = new UsageJournal(dir);
    await journal.open();
    jest.spyOn(journal, 'append').mockRejectedValue(new Error('ENOSPC'));
    const emitter = new UsageEmitter((e) => metering.ingest(e), journal, { ...settings, bufferMax: 5 });
    emitter.start();
    for (let i = 0; i < 5; i++) emitter.emit([event(i)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(emitter.saturated()).toBe(true);
    expect(emitter.backlog().buffered).toBe(5);
    await emitter.close();
    await journal.close();
  });
});

describe('UsageJournal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-journal-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('belongs to one gateway at a time', async () => {
    const a = new UsageJournal(dir);
    await a.open();
    await expect(new UsageJournal(dir, 100).open()).rejects.toThrow(/already open in this process/);
    await a.close();
    const b = new UsageJournal(dir);
    await b.open();
    await b.close();
  });

  it('takes over the lock of a gateway that is gone', async () => {
    await writeFile(join(dir, 'gateway.lock'), `${hostname()} 999999999\n`);
    const journal = new UsageJournal(dir, 100);
    await journal.open();
    await journal.close();
  });

  it('refuses a lock another host keeps touching', async () => {
    await writeFile(join(dir, 'gateway.lock'), 'some-other-host 1\n');
    await expect(new UsageJournal(dir, 100).open()).rejects.toThrow(/in use by the gateway "some-other-host 1"/);
  });

  it('seals the active segment: later appends go to a new one', async () => {
    const journal = new UsageJournal(dir);
    await journal.open();
    await journal.append([event(1)]);
    await journal.append([event(2)]);
    const first = await journal.sealAndList();
    await journal.append([event(3)]);
    const second = await journal.sealAndList();
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(2);
    expect((await journal.read(first[0])).batches).toEqual([[event(1)], [event(2)]]);
    await journal.remove(first[0]);
    expect(await journal.sealAndList()).toEqual([second[1]]);
    await journal.close();
  });
});
