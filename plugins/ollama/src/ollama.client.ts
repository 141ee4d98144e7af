import type { PluginContext } from '@werkbank/plugin-sdk';
import type { OllamaOptions } from './manifest';

/** How long one node may take to answer a health probe. */
export const PROBE_TIMEOUT_MS = 5_000;

/** A node as it may be shown (health details, logs): without user info in the URL. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/**
 * The one call the plugin itself makes to an Ollama node: `GET /api/version` (api.md "Version"),
 * the health probe. Everything tenants send goes through the gateway, not through this client.
 */
export async function nodeVersion(ctx: PluginContext<OllamaOptions>, baseUrl: string): Promise<string> {
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]);
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/version`, { headers: { accept: 'application/json' }, signal });
  } catch (error) {
    const reason = (error as { name?: unknown } | undefined)?.name === 'TimeoutError' ? `no answer within ${PROBE_TIMEOUT_MS} ms` : causeOf(error);
    throw new Error(`unreachable (${reason})`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`answered ${response.status} to GET /api/version`);
  try {
    const version = (JSON.parse(text) as { version?: unknown }).version;
    if (typeof version === 'string' && version) return version;
  } catch {
    // not JSON: reported below
  }
  throw new Error('answered GET /api/version without a version: is this an Ollama server?');
}

/** The network error under fetch's "fetch failed" (duck-typed: it may come from another realm). */
function causeOf(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } } | undefined;
  const code = e?.cause?.code ?? e?.cause?.message ?? e?.message;
  return typeof code === 'string' && code ? code : String(error);
}
