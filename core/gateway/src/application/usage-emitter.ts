import type { IngestResult, UsageEventInput } from '@werkbank/metering';
import type { UsageJournal } from '../infrastructure/usage-journal';

export interface UsageEmitterSettings {
  flushMs: number;
  batchSize: number;
  ingestTimeoutMs: number;
  /** events held in memory at most (see `saturated`) */
  bufferMax: number;
  /** first delay before journaled usage is delivered again; doubles up to 30 × this (at most 30 s) */
  retryMs: number;
}

/** What the emitter reports (metrics, logs, the quota guard's local counts). */
export interface UsageEmitterObserver {
  /** metering answered for these events (accepted, duplicates, rejected) */
  resolved?(events: UsageEventInput[], result: IngestResult, from: 'direct' | 'journal'): void;
  journaled?(events: UsageEventInput[]): void;
  ingestFailed?(error: unknown, from: 'direct' | 'journal'): void;
  /** lines of a segment that could not be read (torn by a crash while written); their events are lost */
  damaged?(segment: string, lines: number): void;
  /** the journal could not be written either: the batch stays in memory */
  journalFailed?(error: unknown): void;
}

const MAX_RETRY_MS = 30_000;
const MAX_RETRY_FACTOR = 30;

class IngestTimeout extends Error {
  constructor(ms: number) {
    super(`metering did not answer within ${ms} ms`);
  }
}

/**
 * Sends usage to metering in batches, off the request path: every `flushMs`, or at once when
 * `batchSize` events wait. A batch metering cannot take (the ingest throws or times out) is
 * journaled on disk before anything else happens, and from then on new batches go to the journal
 * too, until a delivery loop has handed every journaled batch to metering (oldest first, with
 * backoff). Events keep their idempotency keys through all of it: a batch metering took although
 * the answer was lost is counted once when it comes again.
 */
export class UsageEmitter {
  private buffer: UsageEventInput[] = [];
  /** events taken from the buffer whose batch is being sent or journaled */
  private sending = 0;
  private meteringDown = false;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private delivering?: Promise<void>;
  private readonly appending = new Set<Promise<void>>();
  /** batches of a segment already delivered in this process, so a retry resends less */
  private readonly progress = new Map<string, number>();
  private stopping = false;
  private wake?: () => void;

  constructor(
    private readonly ingest: (events: UsageEventInput[]) => Promise<IngestResult>,
    private readonly journal: UsageJournal,
    private readonly settings: UsageEmitterSettings,
    private readonly observer: UsageEmitterObserver = {},
  ) {}

  /** Starts flushing; delivers what an earlier run journaled first. */
  start(): void {
    this.timer = setInterval(() => this.flushSoon(), this.settings.flushMs);
    this.timer.unref();
    this.startDelivery(0);
  }

  emit(events: UsageEventInput[]): void {
    if (!events.length) return;
    for (const event of events) this.buffer.push(event);
    if (this.buffer.length >= this.settings.batchSize) this.flushSoon();
  }

  /** More usage is waiting in memory than allowed: metering and the journal are both failing. */
  saturated(): boolean {
    return this.buffer.length + this.sending >= this.settings.bufferMax;
  }

  /** Events in memory, and whether journaled usage waits for delivery. */
  backlog(): { buffered: number; journalPending: boolean } {
    return { buffered: this.buffer.length + this.sending, journalPending: this.meteringDown };
  }

  /** Sends (or journals) everything in memory and stops; journaled usage stays for the next start. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
    this.stopping = true;
    this.wake?.();
    await this.delivering;
  }

  private flushSoon(): void {
    if (this.flushing || !this.buffer.length) return;
    this.flushing = this.flush().then((sent) => {
      this.flushing = undefined;
      // after a failure the next timer tick tries again, not a tight loop
      if (sent && this.buffer.length >= this.settings.batchSize) this.flushSoon();
    });
  }

  /** Sends everything in the buffer; false when a batch could be neither sent nor journaled. */
  private async flush(): Promise<boolean> {
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.settings.batchSize);
      this.sending += batch.length;
      const sent = await this.send(batch).finally(() => (this.sending -= batch.length));
      if (!sent) return false;
    }
    return true;
  }

  /** Hands one batch to metering, or to the journal; false if neither took it (it is back in the buffer). */
  private async send(batch: UsageEventInput[]): Promise<boolean> {
    if (!this.meteringDown) {
      try {
        const result = await this.ingestWithTimeout(batch);
        this.observer.resolved?.(batch, result, 'direct');
        return true;
      } catch (error) {
        this.observer.ingestFailed?.(error, 'direct');
        this.meteringDown = true;
      }
    }
    const appended = this.journal.append(batch);
    this.appending.add(appended);
    try {
      await appended;
      this.observer.journaled?.(batch);
      this.startDelivery(this.settings.retryMs);
      return true;
    } catch (error) {
      this.observer.journalFailed?.(error);
      this.buffer.unshift(...batch);
      return false;
    } finally {
      this.appending.delete(appended);
    }
  }

  private startDelivery(initialDelayMs: number): void {
    if (this.delivering || this.stopping) return;
    this.delivering = this.deliverJournal(initialDelayMs).finally(() => {
      this.delivering = undefined;
    });
  }

  private async deliverJournal(initialDelayMs: number): Promise<void> {
    let delay = this.settings.retryMs;
    if (initialDelayMs) await this.sleep(initialDelayMs);
    while (!this.stopping) {
      let segments: string[];
      try {
        segments = await this.journal.sealAndList();
      } catch (error) {
        this.observer.journalFailed?.(error);
        await this.sleep(delay);
        continue;
      }
      if (!segments.length) {
        if (this.appending.size) {
          await Promise.allSettled([...this.appending]);
          continue;
        }
        this.meteringDown = false; // nothing journaled and nothing being journaled: send directly again
        return;
      }
      if (await this.deliverSegments(segments)) {
        delay = this.settings.retryMs;
      } else {
        await this.sleep(delay);
        delay = Math.min(delay * 2, MAX_RETRY_MS, this.settings.retryMs * MAX_RETRY_FACTOR);
      }
    }
  }

  /** Delivers segments oldest first; false at the first batch metering did not take. */
  private async deliverSegments(segments: string[]): Promise<boolean> {
    for (const name of segments) {
      if (this.stopping) return false;
      const segment = await this.journal.read(name);
      if (segment.damagedLines) this.observer.damaged?.(name, segment.damagedLines);
      for (let i = this.progress.get(name) ?? 0; i < segment.batches.length; i++) {
        if (this.stopping) return false;
        try {
          const result = await this.ingestWithTimeout(segment.batches[i]);
          this.observer.resolved?.(segment.batches[i], result, 'journal');
          this.progress.set(name, i + 1);
        } catch (error) {
          this.observer.ingestFailed?.(error, 'journal');
          return false;
        }
      }
      await this.journal.remove(name);
      this.progress.delete(name);
    }
    return true;
  }

  private async ingestWithTimeout(events: UsageEventInput[]): Promise<IngestResult> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.ingest(events),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new IngestTimeout(this.settings.ingestTimeoutMs)), this.settings.ingestTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
