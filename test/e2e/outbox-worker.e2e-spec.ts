import { ConsoleLogger, DynamicModule, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import {
  bullmqOptions, DOMAIN_EVENTS_QUEUE, DomainEventConsumer, DomainEventDispatcher, MAILER, OutboxRelay, PublishedEvent, SystemClock, Tx,
} from '@werkbank/kernel';
import { TenancyConsumersModule, TenantStatusNotifier } from '@werkbank/tenancy';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { MemoryMailer, startTestApp, TestApp, tenantBody } from '../support/test-app';
import { waitFor } from '../support/wait-for';

interface OutboxRow {
  id: string;
  type: string;
  tenant_id: string | null;
  payload: Record<string, unknown>;
  occurred_at: Date;
  published_at: Date | null;
}

/** Provides MAILER to the consumers module the way the kernel does in the worker process. */
@Module({})
class TestMailModule {
  static with(mailer: MemoryMailer): DynamicModule {
    return { module: TestMailModule, global: true, providers: [{ provide: MAILER, useValue: mailer }], exports: [MAILER] };
  }
}

/**
 * A consumer that records what it ran, in its transaction and after commit. After commit it
 * looks (on another connection) whether its processed-events row is already committed.
 */
class RecordingConsumer implements DomainEventConsumer {
  readonly handled: string[] = [];
  readonly afterCommit: string[] = [];
  readonly committedBeforeSideEffect: boolean[] = [];
  failNext = false;
  dataSource?: DataSource;
  constructor(readonly name: string, private readonly prefix = 'tenancy.') {}
  handles(type: string): boolean {
    return type.startsWith(this.prefix);
  }
  async handle(_tx: Tx, event: PublishedEvent): Promise<() => Promise<void>> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('consumer failed');
    }
    this.handled.push(event.id);
    return async () => {
      this.afterCommit.push(event.id);
      if (this.dataSource) {
        const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2`, [this.name, event.id]);
        this.committedBeforeSideEffect.push(rows.length === 1);
      }
    };
  }
}

describe('outbox, relay and domain-event worker', () => {
  let t: TestApp;
  let admin: string;
  let queue: Queue;
  let relay: OutboxRelay;
  let consumers: TestingModule;
  let notifier: TenantStatusNotifier;
  let worker: Worker | undefined;
  const notifierMail = new MemoryMailer();
  const clock = new SystemClock();

  const toEvent = (row: OutboxRow): PublishedEvent => ({
    id: row.id, type: row.type, tenantId: row.tenant_id, payload: row.payload, occurredAt: new Date(row.occurred_at).toISOString(),
  });

  async function outboxRows(where = 'TRUE', params: unknown[] = []): Promise<OutboxRow[]> {
    return t.dataSource.query(`SELECT * FROM outbox_events WHERE ${where} ORDER BY id`, params);
  }

  async function eventOf(type: string, tenantId: string): Promise<PublishedEvent> {
    const rows = await outboxRows('type = $1 AND tenant_id = $2', [type, tenantId]);
    expect(rows).toHaveLength(1);
    return toEvent(rows[0]);
  }

  async function createTenant(overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
    const res = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody(overrides));
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function processedCount(consumer: string, eventId: string): Promise<number> {
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM processed_events WHERE consumer = $1 AND event_id = $2`, [consumer, eventId]);
    return n;
  }

  async function jobTotal(): Promise<number> {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed', 'waiting-children');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async function completed(jobId: string): Promise<boolean> {
    const job = await queue.getJob(jobId);
    if (!job) return false;
    const state = await job.getState();
    if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason}`);
    return state === 'completed';
  }

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    // a fresh connection (redisConnection(t.config.redisUrl)) under the suite's own key prefix
    queue = new Queue(DOMAIN_EVENTS_QUEUE, bullmqOptions(t.config));
    await queue.obliterate({ force: true });
    relay = new OutboxRelay(t.dataSource, queue, clock);
    const builder = Test.createTestingModule({ imports: [TestMailModule.with(notifierMail), TenancyConsumersModule] });
    // compile() installs Nest's TestingLogger process-wide, which would print the app's deliberate 500 below
    if (process.env.WERKBANK_TEST_LOGS !== '1') builder.setLogger(new ConsoleLogger({ logLevels: [] }));
    consumers = await builder.compile();
    notifier = consumers.get(TenantStatusNotifier);
  });

  afterAll(async () => {
    await worker?.close();
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await consumers?.close();
    await t?.close();
  });

  describe('outbox', () => {
    it('a command writes its domain event to outbox_events with the change, unpublished', async () => {
      const started = Date.now();
      const tenant = await createTenant();
      const finished = Date.now();
      const rows = await outboxRows('tenant_id = $1', [tenant.id]);
      expect(rows).toEqual([
        expect.objectContaining({
          type: 'tenancy.tenant_created',
          payload: { tenantId: tenant.id, parentId: t.operatorTenantId, kind: 'organization' },
          published_at: null,
        }),
      ]);
      const occurred = new Date(rows[0].occurred_at).getTime();
      expect(occurred).toBeGreaterThanOrEqual(started);
      expect(occurred).toBeLessThanOrEqual(finished);
    });

    it('a refused command writes no event', async () => {
      const org = await createTenant();
      const before = await outboxRows();
      const refused = await t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ kind: 'reseller', parentId: org.id }));
      expect(refused.status).toBe(422);
      const invalid = await t.http.post(`/v1/tenants/${org.id}/resume`).set(t.auth(admin)).send({});
      expect(invalid.status).toBe(409);
      expect(await outboxRows()).toEqual(before);
    });

    /** Makes every insert into `table` fail while `fn` runs. */
    async function withFailingInserts<T>(table: string, fn: () => Promise<T>): Promise<T> {
      await t.dataSource.query(`CREATE FUNCTION wbk_test_refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'insert refused by test'; END $$`);
      await t.dataSource.query(`CREATE TRIGGER wbk_test_refuse_insert BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION wbk_test_refuse_insert()`);
      try {
        return await fn();
      } finally {
        await t.dataSource.query(`DROP TRIGGER wbk_test_refuse_insert ON ${table}`);
        await t.dataSource.query(`DROP FUNCTION wbk_test_refuse_insert()`);
      }
    }

    // create-tenant writes tenant, then outbox event, then audit row: failing the outbox insert
    // must undo the tenant; failing the later audit insert must undo tenant and event.
    it.each(['outbox_events', 'audit_events'])('change and event commit together: a failing insert into %s leaves neither', async (table) => {
      const before = await t.countRows();
      const name = `Never committed (${table})`;
      const res = await withFailingInserts(table, () => t.http.post('/v1/tenants').set(t.auth(admin)).send(tenantBody({ name })));
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('internal.error');
      const after = await t.countRows();
      expect(after.tenants).toBe(before.tenants);
      expect(after.audit_events).toBe(before.audit_events);
      expect(after.outbox_events).toBe(before.outbox_events);
      expect(await t.dataSource.query(`SELECT id FROM tenants WHERE name = $1`, [name])).toEqual([]);
    });
  });

  describe('relay', () => {
    it('moves unpublished rows to BullMQ with jobId = event id and marks them published', async () => {
      const pending = await outboxRows('published_at IS NULL');
      expect(pending.length).toBeGreaterThanOrEqual(3); // bootstrap + the tenants above
      const relayed = await relay.drain();
      expect(relayed).toBe(pending.length);
      for (const row of pending) {
        const job = await queue.getJob(row.id);
        expect(job?.id).toBe(row.id);
        expect(job?.name).toBe(row.type);
        expect(job?.data).toEqual(toEvent(row));
      }
      expect(await outboxRows('published_at IS NULL')).toEqual([]);
      const published = await outboxRows('id = ANY($1::uuid[])', [pending.map((r) => r.id)]);
      expect(published.every((r) => r.published_at !== null)).toBe(true);
    });

    it('drains more rows than one batch', async () => {
      for (let i = 0; i < 5; i++) await createTenant();
      expect(await relay.drain(2)).toBe(5);
      expect(await outboxRows('published_at IS NULL')).toEqual([]);
    });

    it('relaying again, or again after a crash before commit, creates no duplicate job', async () => {
      await createTenant();
      await relay.drain();
      const jobs = await jobTotal();
      expect(await relay.drain()).toBe(0);
      expect(await jobTotal()).toBe(jobs);

      // a crash between queue.add and the commit leaves the rows unpublished: they go out again
      const again = await outboxRows('published_at IS NOT NULL');
      await t.dataSource.query(`UPDATE outbox_events SET published_at = NULL`);
      expect(await relay.drain()).toBe(again.length);
      expect(await jobTotal()).toBe(jobs);
    });

    it('two relays draining at once never hand out the same row (SKIP LOCKED)', async () => {
      for (let i = 0; i < 6; i++) await createTenant();
      const adds: string[] = [];
      const spy = { addBulk: async (jobs: Array<{ opts: { jobId: string } }>) => { adds.push(...jobs.map((j) => j.opts.jobId)); await new Promise((r) => setTimeout(r, 20)); } };
      const a = new OutboxRelay(t.dataSource, spy as unknown as Queue, clock);
      const b = new OutboxRelay(t.dataSource, spy as unknown as Queue, clock);
      const [na, nb] = await Promise.all([a.drain(1), b.drain(1)]);
      expect(na + nb).toBe(6);
      expect(new Set(adds).size).toBe(6);
      expect(adds).toHaveLength(6);
    });
  });

  describe('dispatcher', () => {
    it('runs a consumer once per event even when the event is dispatched twice (processed_events)', async () => {
      const consumer = new RecordingConsumer('test.recorder');
      consumer.dataSource = t.dataSource;
      const dispatcher = new DomainEventDispatcher(t.dataSource, [consumer], clock);
      const tenant = await createTenant();
      const event = await eventOf('tenancy.tenant_created', tenant.id);

      await dispatcher.dispatch(event);
      await dispatcher.dispatch(event);
      await Promise.all([dispatcher.dispatch(event), dispatcher.dispatch(event)]);
      expect(consumer.handled).toEqual([event.id]);
      expect(consumer.afterCommit).toEqual([event.id]);
      // side effects outside the database (mail) run only once the processed mark is committed
      expect(consumer.committedBeforeSideEffect).toEqual([true]);
      expect(await processedCount('test.recorder', event.id)).toBe(1);

      // another consumer keeps its own record of the same event
      const other = new RecordingConsumer('test.other');
      await new DomainEventDispatcher(t.dataSource, [other], clock).dispatch(event);
      expect(other.handled).toEqual([event.id]);
    });

    it('runs a consumer again after it failed: the failure leaves no processed mark and no after-commit effect', async () => {
      const consumer = new RecordingConsumer('test.flaky');
      consumer.failNext = true;
      const dispatcher = new DomainEventDispatcher(t.dataSource, [consumer], clock);
      const event = await eventOf('tenancy.tenant_created', (await createTenant()).id);
      await expect(dispatcher.dispatch(event)).rejects.toThrow('consumer failed');
      expect(await processedCount('test.flaky', event.id)).toBe(0);
      expect(consumer.afterCommit).toEqual([]);
      await dispatcher.dispatch(event);
      expect(consumer.handled).toEqual([event.id]);
      expect(consumer.afterCommit).toEqual([event.id]);
    });

    it('skips consumers that do not handle the type', async () => {
      const consumer = new RecordingConsumer('test.billing-only', 'billing.');
      const event = await eventOf('tenancy.tenant_created', (await createTenant()).id);
      await new DomainEventDispatcher(t.dataSource, [consumer], clock).dispatch(event);
      expect(consumer.handled).toEqual([]);
      expect(await processedCount('test.billing-only', event.id)).toBe(0);
    });

    it('TenantStatusNotifier mails the billing contact once when a tenant is suspended, not again on redelivery', async () => {
      const billingEmail = 'billing-suspended@example.test';
      const tenant = await createTenant({ name: 'Suspended GmbH', billingEmail });
      await t.http.post(`/v1/tenants/${tenant.id}/suspend`).set(t.auth(admin)).send({ reason: 'Invoice 2026-0042 unpaid' }).expect(200);
      const dispatcher = new DomainEventDispatcher(t.dataSource, [notifier], clock);

      await dispatcher.dispatch(await eventOf('tenancy.tenant_created', tenant.id));
      expect(notifierMail.sent).toEqual([]);

      const suspended = await eventOf('tenancy.tenant_suspended', tenant.id);
      await dispatcher.dispatch(suspended);
      await dispatcher.dispatch(suspended);
      expect(notifierMail.sent).toEqual([
        { to: billingEmail, subject: 'Your Werkbank workspace has been suspended', text: expect.stringContaining('Suspended GmbH') },
      ]);
      expect(notifierMail.sent[0].text).toContain('Reason: Invoice 2026-0042 unpaid');
      expect(await processedCount(notifier.name, suspended.id)).toBe(1);
    });
  });

  describe('worker (through Redis)', () => {
    it('delivers relayed events to the consumers via BullMQ, once per event', async () => {
      const recorder = new RecordingConsumer('test.worker-recorder');
      worker = new DomainEventDispatcher(t.dataSource, [notifier, recorder], clock).createWorker(bullmqOptions(t.config));

      const billingEmail = 'billing-worker@example.test';
      const tenant = await createTenant({ name: 'Worker GmbH', billingEmail });
      await t.http.post(`/v1/tenants/${tenant.id}/suspend`).set(t.auth(admin)).send({ reason: 'worker test' }).expect(200);
      await t.http.post(`/v1/tenants/${tenant.id}/resume`).set(t.auth(admin)).send({}).expect(200);
      const suspended = await eventOf('tenancy.tenant_suspended', tenant.id);
      const resumed = await eventOf('tenancy.tenant_resumed', tenant.id);
      // the suspension mailed by hand above reaches the worker now too: it must not mail again
      const earlier = (await outboxRows(`type = 'tenancy.tenant_suspended' AND tenant_id <> $1`, [tenant.id])).map(toEvent);
      expect(earlier).toHaveLength(1);

      expect(await relay.drain()).toBeGreaterThanOrEqual(3);
      for (const event of [suspended, resumed, ...earlier]) await waitFor(`job ${event.type} ${event.id} to complete`, () => completed(event.id));

      // the worker runs jobs concurrently: the two mails may arrive in either order
      const toWorker = notifierMail.sent.filter((m) => m.to === billingEmail);
      expect(toWorker.map((m) => m.subject).sort()).toEqual(['Your Werkbank workspace has been suspended', 'Your Werkbank workspace is active again']);
      expect(notifierMail.sent.filter((m) => m.to === 'billing-suspended@example.test')).toHaveLength(1);
      expect(recorder.handled).toEqual(expect.arrayContaining([suspended.id, resumed.id]));

      // BullMQ redelivers (a stalled job runs again): the consumers do not run twice
      const handledBefore = recorder.handled.length;
      await queue.add(suspended.type, suspended, { jobId: `${suspended.id}-redelivered` });
      await waitFor('the redelivered job to complete', () => completed(`${suspended.id}-redelivered`));
      expect(notifierMail.sent.filter((m) => m.to === billingEmail)).toHaveLength(2);
      expect(recorder.handled).toHaveLength(handledBefore);
      expect(await processedCount(notifier.name, suspended.id)).toBe(1);
    });
  });
});
