import { errorForStatus, PermanentError, RetryableError, type PluginContext, type UsageWindow } from '@werkbank/plugin-sdk';
import type { QdrantOptions } from './manifest';

/** A project at the service: what one Werkbank service instance is there. */
export interface QdrantProject {
  id: string;
  name: string;
  status: 'active' | 'suspended';
  /** where the tenant's applications reach the project */
  apiUrl: string;
  /** only in the answer to the request that created the project */
  apiKey?: string;
}

/** Requests the project served, counted by the service in buckets with a stable id. */
export interface QdrantUsageBucket {
  id: string;
  /** ISO 8601, start of the bucket */
  at: string;
  requests: number;
}

interface RequestOptions {
  body?: unknown;
  /** sent as Idempotency-Key: the service answers a repeated key with the first answer */
  idempotencyKey?: string;
  /** answer undefined instead of failing when the service says 404 */
  notFoundIsEmpty?: boolean;
}

/**
 * The service's HTTP API, as far as the plugin uses it. Every failure becomes one of the SDK's
 * typed errors: network errors and 408/425/429/5xx a RetryableError, other statuses a
 * PermanentError carrying the service's own message (never the admin token).
 */
export class QdrantClient {
  constructor(private readonly ctx: PluginContext<QdrantOptions>) {}

  async createProject(input: { name: string; tenant: string; monthlyRequestLimit: number }, requestKey: string): Promise<QdrantProject> {
    const project = await this.request<QdrantProject>('POST', '/projects', { body: input, idempotencyKey: requestKey });
    if (!project?.id) throw new PermanentError('Qdrant answered POST /projects without a project');
    return project;
  }

  getProject(id: string): Promise<QdrantProject | undefined> {
    return this.request<QdrantProject>('GET', `/projects/${encodeURIComponent(id)}`, { notFoundIsEmpty: true });
  }

  async setStatus(id: string, action: 'suspend' | 'resume', requestKey: string): Promise<void> {
    await this.request('POST', `/projects/${encodeURIComponent(id)}/${action}`, { idempotencyKey: requestKey });
  }

  async setLimits(id: string, limits: { monthlyRequestLimit: number }, requestKey: string): Promise<void> {
    await this.request('PUT', `/projects/${encodeURIComponent(id)}/limits`, { body: limits, idempotencyKey: requestKey });
  }

  /** true when the project was deleted now, false when it was already gone */
  async deleteProject(id: string, requestKey: string): Promise<boolean> {
    const answer = await this.request<{ deleted: true }>('DELETE', `/projects/${encodeURIComponent(id)}`, { idempotencyKey: requestKey, notFoundIsEmpty: true });
    return answer !== undefined;
  }

  /** Every usage bucket of the project in [from, to), page by page. */
  async *usage(id: string, window: UsageWindow): AsyncIterable<QdrantUsageBucket> {
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString() });
      if (cursor) query.set('cursor', cursor);
      const page = await this.request<{ items: QdrantUsageBucket[]; next: string | null }>('GET', `/projects/${encodeURIComponent(id)}/usage?${query}`);
      yield* page?.items ?? [];
      cursor = page?.next ?? null;
    } while (cursor);
  }

  async health(): Promise<void> {
    await this.request('GET', '/health');
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T | undefined> {
    const { baseUrl, adminToken } = this.ctx.options;
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${adminToken}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${baseUrl.replace(/\/+$/, '')}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: this.ctx.signal,
      });
    } catch (error) {
      // unreachable, connection reset, or aborted by the host (timeout, shutdown): worth a retry
      throw new RetryableError(`Qdrant is unreachable (${method} ${path.split('?')[0]}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const text = await response.text();
    if (response.status === 404 && options.notFoundIsEmpty) return undefined;
    if (!response.ok) {
      const error = errorForStatus(response.status, `Qdrant answered ${response.status} to ${method} ${path.split('?')[0]}: ${serviceMessage(text)}`);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (error instanceof RetryableError && retryAfter > 0) throw new RetryableError(error.message, { retryAfterMs: retryAfter * 1000 });
      throw error;
    }
    if (!text) return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new PermanentError(`Qdrant answered ${method} ${path.split('?')[0]} with something other than JSON`);
    }
  }
}

/** The service's own words for the operator, short. */
function serviceMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === 'string' && message) return message.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return body.slice(0, 300) || '(no message)';
}
