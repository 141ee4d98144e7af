import { errorForStatus, RetryableError, type PluginContext } from '@werkbank/plugin-sdk';
import type { SearxngOptions } from './manifest';

const HEALTH_TIMEOUT_MS = 3000;

/**
 * The part of SearXNG's HTTP API the plugin itself calls: `GET /healthz` (the webapp answers
 * `200 OK` in text/plain; searx 1.1 and SearXNG both serve it). Searches go through the
 * gateway, not through this client. Failures become the SDK's typed errors: unreachable and
 * 408/425/429/5xx a RetryableError, other statuses a PermanentError.
 */
export class SearxngClient {
  constructor(private readonly ctx: PluginContext<SearxngOptions>) {}

  /** resolves when SearXNG answers `/healthz` with 2xx */
  async healthz(): Promise<void> {
    // the schema refuses user info in the URL; the health check never sends any either
    const url = `${displayUrl(this.ctx.options.url)}/healthz`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any([this.ctx.signal, AbortSignal.timeout(HEALTH_TIMEOUT_MS)]) });
    } catch (error) {
      throw new RetryableError(`SearXNG at ${displayUrl(this.ctx.options.url)} is unreachable (GET /healthz): ${reason(error)}`, { cause: error });
    }
    const text = (await response.text().catch(() => '')).trim();
    if (!response.ok) throw errorForStatus(response.status, `SearXNG at ${displayUrl(this.ctx.options.url)} answered ${response.status} to GET /healthz: ${text.slice(0, 200) || '(no message)'}`);
  }
}

/** the base URL without trailing slashes */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** scheme, host and path only: what may appear in health details and messages */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid URL)';
  }
}

/** why fetch failed, short: the network error's code (ECONNREFUSED, ENOTFOUND, ...) where there is one */
function reason(error: unknown): string {
  // duck-typed: fetch's errors may come from another realm (instanceof Error fails there)
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } } | undefined;
  const code = e?.cause?.code ?? e?.cause?.errors?.find((x) => x.code)?.code;
  if (code) return code;
  if (e?.name === 'TimeoutError') return `no answer within ${HEALTH_TIMEOUT_MS} ms`;
  return e?.cause?.message ?? e?.message ?? String(error);
}
