import type { IngestResult, UsageEventInput } from '@werkbank/metering';
import { Worker } from 'node:worker_threads';

/** Where usage batches go: metering's ingestion, in this thread or in another one. */
export interface UsageSink {
  ingest(events: UsageEventInput[]): Promise<IngestResult>;
  close(): Promise<void>;
}

/** Messages between the gateway and its ingestion thread (see core/platform's gateway-ingestion.worker). */
export type IngestionThreadRequest = { type: 'ingest'; id: number; events: UsageEventInput[] } | { type: 'close' };
export type IngestionThreadReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'result'; id: number; result: IngestResult }
  | { type: 'error'; id: number; error: string };

export interface UsageIngestionThreadOptions {
  /** the compiled worker script */
  script: string;
  /** what the script needs to connect (the database URL, the log level, ...) */
  workerData: unknown;
  /** the thread did not start, or stopped: its pending batches fail (the emitter journals them) */
  onFailure?(error: Error): void;
}

/**
 * Runs metering's usage ingestion in a `worker_threads` thread with its own database pool, so
 * the CPU time of a batch (validation, hashing, the SQL round trips' parsing) never holds the
 * event loop that streams the gateway's responses; this thread only posts batches and reads the
 * answers. A batch the thread cannot answer (it failed to start, crashed or was stopped) rejects,
 * which the UsageEmitter treats like any metering failure: journal, deliver later, deduplicated.
 * A thread that stopped is started again for the next batch.
 */
export class UsageIngestionThread implements UsageSink {
  private worker?: Worker;
  private started?: Promise<Worker>;
  private readonly pending = new Map<number, { resolve(result: IngestResult): void; reject(error: Error): void }>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: UsageIngestionThreadOptions) {}

  /** Starts the thread and waits until its ingestion is ready (a start-up error rejects). */
  start(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('the usage ingestion thread is closed'));
    this.started ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(this.options.script, { workerData: this.options.workerData });
      this.worker = worker;
      let ready = false;
      /** the thread is gone (or never came up): what it held fails, the next batch starts a new one */
      const stopped = (error: Error): void => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.started = undefined;
        void worker.terminate();
        for (const [id, waiting] of this.pending) {
          this.pending.delete(id);
          waiting.reject(error);
        }
        if (!ready) reject(error);
        if (!this.closed) this.options.onFailure?.(error);
      };
      worker.on('message', (message: IngestionThreadReply) => {
        if (message.type === 'ready') {
          ready = true;
          resolve(worker);
        } else if (message.type === 'failed') {
          stopped(new Error(`the usage ingestion thread could not start: ${message.error}`));
        } else {
          const waiting = this.pending.get(message.id);
          if (!waiting) return;
          this.pending.delete(message.id);
          if (message.type === 'result') waiting.resolve(message.result);
          else waiting.reject(new Error(message.error));
        }
      });
      worker.on('error', (error) => stopped(error instanceof Error ? error : new Error(String(error))));
      worker.on('exit', (code) => stopped(new Error(`the usage ingestion thread stopped (exit code ${code})`)));
    });
    return this.started;
  }

  async ingest(events: UsageEventInput[]): Promise<IngestResult> {
    const worker = await this.start();
    const id = this.nextId++;
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: IngestionThreadRequest = { type: 'ingest', id, events };
      worker.postMessage(request);
    });
  }

  /** Batches in the thread's hands (sent, not answered). */
  inFlight(): number {
    return this.pending.size;
  }

  /** Lets the thread finish what it was given, then stops it (its database pool closed). */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies IngestionThreadRequest);
    const timer = setTimeout(() => void worker.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
