import type { VerifiedApiKey } from '@werkbank/tenancy';

export type KeyLookup<K = VerifiedApiKey> =
  | { outcome: 'valid'; key: K }
  | { outcome: 'invalid' }
  /** the key could not be checked (database unreachable) and nothing recent enough is known about it */
  | { outcome: 'unavailable' };

export interface KeyCacheSettings {
  /** an answer is used as is this long, then up to as long again while it is re-checked in the background */
  ttlMs: number;
  /** while checks fail, an answer this old is still used */
  staleIfErrorMs: number;
  maxEntries?: number;
}

interface Entry<K> {
  key: K | null;
  at: number;
  refreshing?: Promise<KeyLookup<K>>;
  /** when the last re-check failed: the next one waits `ttlMs` */
  failedAt?: number;
}

const UNAVAILABLE = { outcome: 'unavailable' } as const;

/**
 * Key verifications by key hash, so the request path needs no database round trip. An answer
 * (valid or unknown) is fresh for `ttlMs`, then served for at most `ttlMs` more while one
 * background check renews it: a revocation or a suspension is seen within 2 × `ttlMs` plus
 * one lookup. While checks fail (database unreachable), a known answer is served up to
 * `staleIfErrorMs` old, re-checked every `ttlMs`. Entries are keyed by hash: the cache never holds a key.
 */
export class KeyCache<K = VerifiedApiKey> {
  private readonly entries = new Map<string, Entry<K>>();
  /** first lookups under way, so a burst of requests with a new key makes one query */
  private readonly firstLookups = new Map<string, Promise<KeyLookup<K>>>();
  private readonly maxEntries: number;

  constructor(
    private readonly verify: (keyHash: string) => Promise<K | null>,
    private readonly settings: KeyCacheSettings,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.maxEntries = settings.maxEntries ?? 100_000;
  }

  lookup(keyHash: string): KeyLookup<K> | Promise<KeyLookup<K>> {
    const entry = this.entries.get(keyHash);
    if (!entry) {
      let first = this.firstLookups.get(keyHash);
      if (!first) {
        first = this.refresh(keyHash, { key: null, at: -Infinity }).finally(() => this.firstLookups.delete(keyHash));
        this.firstLookups.set(keyHash, first);
      }
      return first;
    }
    const { ttlMs, staleIfErrorMs } = this.settings;
    const now = this.now();
    const age = now - entry.at;
    if (age < ttlMs) return answer(entry.key);
    const backingOff = entry.failedAt !== undefined && now - entry.failedAt < ttlMs;
    if (backingOff) return age < Math.max(2 * ttlMs, staleIfErrorMs) ? answer(entry.key) : UNAVAILABLE;
    if (age < 2 * ttlMs) {
      entry.refreshing ??= this.refresh(keyHash, entry);
      return answer(entry.key);
    }
    return (entry.refreshing ??= this.refresh(keyHash, entry));
  }

  private async refresh(keyHash: string, entry: Entry<K>): Promise<KeyLookup<K>> {
    try {
      const key = await this.verify(keyHash);
      this.entries.delete(keyHash); // re-inserted last: the oldest entries go first when full
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(keyHash, { key, at: this.now() });
      return answer(key);
    } catch (error) {
      this.onError(error);
      entry.refreshing = undefined;
      entry.failedAt = this.now();
      return this.now() - entry.at < Math.max(2 * this.settings.ttlMs, this.settings.staleIfErrorMs) ? answer(entry.key) : UNAVAILABLE;
    }
  }
}

function answer<K>(key: K | null): KeyLookup<K> {
  return key ? { outcome: 'valid', key } : { outcome: 'invalid' };
}
