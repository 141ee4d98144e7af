import { Pool } from 'undici';

export interface UpstreamSettings {
  connections: number;
  /** a node that failed gets no requests for this long */
  downMs: number;
  /** time to the response headers, and between two body chunks */
  timeoutMs: number;
}

/** One upstream base URL (e.g. an Ollama GPU node) with its keep-alive connection pool. */
export class UpstreamNode {
  readonly pool: Pool;
  readonly origin: string;
  /** a path prefix of the base URL ('' for none), put before every forwarded path */
  readonly basePath: string;
  outstanding = 0;
  downUntil = 0;
  failures = 0;

  constructor(readonly url: string, settings: UpstreamSettings) {
    const parsed = new URL(url);
    this.origin = parsed.origin;
    this.basePath = parsed.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: settings.connections,
      pipelining: 1,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      keepAliveTimeout: 30_000,
    });
  }
}

/**
 * Spreads a plugin's requests over its upstream nodes: the node with the fewest requests in
 * flight wins (ties in turn), nodes that failed recently (a connection error or a 5xx) are
 * skipped for `downMs`. When every node is marked down, the least busy is tried anyway:
 * a guess is better than refusing every request.
 */
export class UpstreamBalancer {
  readonly nodes: UpstreamNode[];
  private turn = 0;

  constructor(urls: readonly string[], private readonly settings: UpstreamSettings, private readonly now: () => number = Date.now) {
    this.nodes = urls.map((url) => new UpstreamNode(url, settings));
  }

  pick(exclude?: UpstreamNode): UpstreamNode | undefined {
    const now = this.now();
    const count = this.nodes.length;
    let best: UpstreamNode | undefined;
    let bestDown: UpstreamNode | undefined;
    this.turn = (this.turn + 1) % Math.max(count, 1);
    for (let i = 0; i < count; i++) {
      const node = this.nodes[(this.turn + i) % count];
      if (node === exclude) continue;
      if (node.downUntil <= now) {
        if (!best || node.outstanding < best.outstanding) best = node;
      } else if (!bestDown || node.outstanding < bestDown.outstanding) {
        bestDown = node;
      }
    }
    return best ?? bestDown;
  }

  failed(node: UpstreamNode): void {
    node.failures += 1;
    node.downUntil = this.now() + this.settings.downMs;
  }

  succeeded(node: UpstreamNode): void {
    node.downUntil = 0;
  }

  /** 'up' or 'down' per node URL (for health and metrics). */
  state(): Record<string, 'up' | 'down'> {
    const now = this.now();
    return Object.fromEntries(this.nodes.map((n) => [n.url, n.downUntil > now ? 'down' : 'up']));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.pool.close().catch(() => n.pool.destroy())));
  }
}
