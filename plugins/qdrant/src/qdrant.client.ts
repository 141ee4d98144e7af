import { errorForStatus, PermanentError, RetryableError, type PluginContext } from '@werkbank/plugin-sdk';
import type { QdrantOptions } from './manifest';

/** What the plugin reads of a collection (GET /collections/{name}, `CollectionInfo`). */
export interface QdrantCollectionInfo {
  points_count?: number | null;
  config?: { metadata?: Record<string, unknown> | null };
}

/** Qdrant's response envelope (`result`, `status`, `time`). */
interface Envelope<T> {
  result?: T;
  status?: string | { error?: string };
  time?: number;
}

interface RequestOptions {
  body?: unknown;
  /** answer undefined instead of failing when Qdrant says 404 */
  notFoundIsEmpty?: boolean;
  /** plain-text endpoints (/readyz) */
  text?: boolean;
}

/**
 * The shared Qdrant's REST API as the plugin uses it, with the operator's api-key. Every failure
 * becomes one of the SDK's typed errors: network errors and 408/425/429/5xx a RetryableError,
 * other statuses a PermanentError carrying Qdrant's own message (never the api-key).
 */
export class QdrantClient {
  constructor(private readonly ctx: PluginContext<QdrantOptions>) {}

  /** Every collection name at the server (all tenants'). */
  async collectionNames(): Promise<string[]> {
    const answer = await this.request<{ collections?: Array<{ name?: unknown }> }>('GET', '/collections');
    return (answer?.collections ?? []).map((c) => c.name).filter((name): name is string => typeof name === 'string');
  }

  collection(name: string): Promise<QdrantCollectionInfo | undefined> {
    return this.request<QdrantCollectionInfo>('GET', `/collections/${encodeURIComponent(name)}`, { notFoundIsEmpty: true });
  }

  /** Merges `metadata` into the collection's metadata (PATCH /collections/{name}); false when it is gone. */
  async mergeMetadata(name: string, metadata: Record<string, unknown>): Promise<boolean> {
    const answer = await this.request<boolean>('PATCH', `/collections/${encodeURIComponent(name)}`, { body: { metadata }, notFoundIsEmpty: true });
    return answer !== undefined;
  }

  /** true when the collection was deleted now, false when it was already gone. */
  async deleteCollection(name: string): Promise<boolean> {
    const answer = await this.request<boolean>('DELETE', `/collections/${encodeURIComponent(name)}`, { notFoundIsEmpty: true });
    return answer === true;
  }

  /** GET / : `{title, version, commit}`. */
  async version(): Promise<string | undefined> {
    const info = await this.requestRaw<{ version?: unknown }>('GET', '/');
    return typeof info?.version === 'string' ? info.version : undefined;
  }

  async ready(): Promise<void> {
    await this.request('GET', '/readyz', { text: true });
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const envelope = await this.requestRaw<Envelope<T>>(method, path, options);
    return options.text ? undefined : envelope?.result;
  }

  private async requestRaw<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const { url, apiKey } = this.ctx.options;
    const headers: Record<string, string> = { accept: options.text ? 'text/plain' : 'application/json', 'api-key': apiKey };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${url.replace(/\/+$/, '')}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: this.ctx.signal,
      });
    } catch (error) {
      // unreachable, connection reset, or aborted by the host (timeout, shutdown): worth a retry
      throw new RetryableError(`Qdrant is unreachable (${method} ${path}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const text = await response.text();
    if (response.status === 404 && options.notFoundIsEmpty) return undefined;
    if (!response.ok) {
      const error = errorForStatus(response.status, `Qdrant answered ${response.status} to ${method} ${path}: ${serviceMessage(text)}`);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (error instanceof RetryableError && retryAfter > 0) throw new RetryableError(error.message, { retryAfterMs: retryAfter * 1000 });
      throw error;
    }
    if (options.text || !text) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PermanentError(`Qdrant answered ${method} ${path} with something other than JSON`);
    }
  }
}

/** Qdrant's own words for the operator (`status.error`), short. */
function serviceMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { status?: { error?: unknown } };
    const message = parsed.status?.error;
    if (typeof message === 'string' && message) return message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 300) || '(no message)';
}
