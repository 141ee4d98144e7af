import { Inject, Injectable } from '@nestjs/common';
import { uuidv7 } from '../ids/uuid';
import { entityManagerOf, Tx } from '../persistence/transaction';
import { Clock, CLOCK } from '../time/clock';
import { DomainEvent, PublishedEvent } from './domain-event';
import { OutboxEventEntity, ProcessedEventEntity } from './outbox-event.entity';

@Injectable()
export class OutboxWriter {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async append(tx: Tx, ...events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.clock.now();
    await entityManagerOf(tx).insert(
      OutboxEventEntity,
      events.map((e) => ({ id: uuidv7(now.getTime()), type: e.type, tenantId: e.tenantId ?? null, payload: e.payload, occurredAt: now, publishedAt: null })),
    );
  }
}

/**
 * Claims a batch of unpublished events (SKIP LOCKED, so relays on several workers never
 * hand out the same row twice), hands them to `publish`, and marks them published in the
 * same transaction. A crash between publish and commit redelivers; consumers are idempotent.
 */
export async function relayOutboxBatch(
  tx: Tx,
  limit: number,
  now: Date,
  publish: (events: PublishedEvent[]) => Promise<void>,
): Promise<number> {
  const em = entityManagerOf(tx);
  const rows: Array<{ id: string; type: string; tenant_id: string | null; payload: Record<string, unknown>; occurred_at: Date }> = await em.query(
    `SELECT id, type, tenant_id, payload, occurred_at FROM outbox_events
      WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
  if (rows.length === 0) return 0;
  await publish(rows.map((r) => ({ id: r.id, type: r.type, tenantId: r.tenant_id, payload: r.payload, occurredAt: new Date(r.occurred_at).toISOString() })));
  await em.query(`UPDATE outbox_events SET published_at = $2 WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id), now]);
  return rows.length;
}

/**
 * Runs `handle` at most once per (consumer, event): the processed-events row is written in
 * the consumer's own transaction, so a redelivered event changes nothing.
 */
export async function consumeOnce(
  tx: Tx,
  consumer: string,
  event: PublishedEvent,
  now: Date,
  handle: (tx: Tx) => Promise<void>,
): Promise<boolean> {
  const inserted: unknown[] = await entityManagerOf(tx).query(
    `INSERT INTO processed_events (consumer, event_id, processed_at) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING event_id`,
    [consumer, event.id, now],
  );
  if (inserted.length === 0) return false;
  await handle(tx);
  return true;
}

export { ProcessedEventEntity };
