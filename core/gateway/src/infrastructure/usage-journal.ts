import type { UsageEventInput } from '@werkbank/metering';
import { uuidv7 } from '@werkbank/kernel';
import { mkdir, open, readdir, readFile, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

const SEGMENT = /^usage-[0-9a-f-]{36}\.ndjson$/;
const LOCK_FILE = 'gateway.lock';
/** the holder touches its lock this often; a lock untouched for LOCK_STALE_MS belongs to a gateway that is gone */
const LOCK_HEARTBEAT_MS = 5_000;
const LOCK_STALE_MS = 15_000;

/** Journal directories open in this process (two gateways in one process must not share one either). */
const openInProcess = new Set<string>();

export interface JournalSegment {
  name: string;
  batches: UsageEventInput[][];
  /** lines that could not be read (a batch torn by a crash while it was written) */
  damagedLines: number;
}

/**
 * Usage metering could not take yet, durably on disk: append-only segment files of JSON lines
 * (one batch per line), each append fsync'ed before it counts as journaled. New batches go to the
 * active segment; delivery seals it (the next batch starts a new one) and removes a sealed
 * segment only after metering took every batch in it. A directory belongs to one gateway at a
 * time (a lock file with a heartbeat); operations on it run one at a time.
 */
export class UsageJournal {
  readonly dir: string;
  private active?: FileHandle;
  private queue: Promise<unknown> = Promise.resolve();
  private heartbeat?: NodeJS.Timeout;

  constructor(dir: string, private readonly lockWaitMs = LOCK_STALE_MS + LOCK_HEARTBEAT_MS) {
    this.dir = resolve(dir);
  }

  /**
   * Creates the directory and takes its lock. A lock of a gateway that is gone (its process on
   * this host has ended, or it stopped touching the lock) is taken over with its segments.
   */
  async open(): Promise<void> {
    if (openInProcess.has(this.dir)) throw new Error(`the usage journal ${this.dir} is already open in this process; give every gateway its own GATEWAY_JOURNAL_DIR`);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const lock = join(this.dir, LOCK_FILE);
    const me = `${hostname()} ${process.pid}`;
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      try {
        await writeFile(lock, `${me}\n`, { flag: 'wx', mode: 0o600 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readFile(lock, 'utf8').then((text) => text.trim(), () => '');
      if (await this.lockAbandoned(lock, holder)) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new Error(`the usage journal ${this.dir} is in use by the gateway "${holder}"; give every gateway its own GATEWAY_JOURNAL_DIR`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    openInProcess.add(this.dir);
    await this.syncDir();
    this.heartbeat = setInterval(() => {
      const now = new Date();
      utimes(lock, now, now).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS).unref();
  }

  /** Appends one batch durably (written and fsync'ed) to the active segment. */
  append(events: UsageEventInput[]): Promise<void> {
    return this.serial(async () => {
      if (!this.active) {
        this.active = await open(join(this.dir, `usage-${uuidv7()}.ndjson`), 'a', 0o600);
        await this.syncDir(); // the new file's name is durable too
      }
      await this.active.write(`${JSON.stringify({ events })}\n`);
      await this.active.datasync();
    });
  }

  /** Closes the active segment (the next append starts a new one) and lists every segment, oldest first. */
  sealAndList(): Promise<string[]> {
    return this.serial(async () => {
      await this.seal();
      return (await readdir(this.dir)).filter((name) => SEGMENT.test(name)).sort();
    });
  }

  async read(name: string): Promise<JournalSegment> {
    const text = await readFile(join(this.dir, name), 'utf8');
    const batches: UsageEventInput[][] = [];
    let damagedLines = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const { events } = JSON.parse(line) as { events: UsageEventInput[] };
        if (Array.isArray(events)) batches.push(events);
        else damagedLines += 1;
      } catch {
        damagedLines += 1;
      }
    }
    return { name, batches, damagedLines };
  }

  /** Removes a sealed segment whose every batch metering has taken. */
  remove(name: string): Promise<void> {
    return this.serial(async () => {
      await unlink(join(this.dir, name));
      await this.syncDir();
    });
  }

  async close(): Promise<void> {
    await this.serial(() => this.seal());
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      await unlink(join(this.dir, LOCK_FILE)).catch(() => undefined);
      openInProcess.delete(this.dir);
    }
  }

  private async lockAbandoned(lock: string, holder: string): Promise<boolean> {
    const [host, pidText] = holder.split(' ');
    const pid = Number(pidText);
    // same host: the process tells (our own pid here is a previous life of this container)
    if (host === hostname() && Number.isInteger(pid) && pid > 0) return pid === process.pid || !alive(pid);
    const touched = await stat(lock).then((s) => s.mtimeMs, () => 0);
    return Date.now() - touched > LOCK_STALE_MS;
  }

  private async seal(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    await active?.close();
  }

  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
