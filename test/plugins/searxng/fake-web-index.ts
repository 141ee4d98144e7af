// A web index on loopback for the real searx the SearXNG suite starts: searx's json_engine
// (searx 1.1.0, searx/engines/json_engine.py) asks `GET /search?q=<query>` and reads
// `results[].url`, `.title` and `.content`, as searx-settings.yml configures it
// (results_query / url_query / title_query / content_query). The answers depend only on the
// query, so searx's result page for a query is the same each time it is asked.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeWebIndex {
  /** every query searx sent, in order */
  readonly queries: string[] = [];
  private server?: Server;
  private baseUrl?: string;

  get url(): string {
    if (!this.baseUrl) throw new Error('FakeWebIndex: not started');
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://index');
      if (req.method !== 'GET' || url.pathname !== '/search') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
        return;
      }
      const q = url.searchParams.get('q') ?? '';
      this.queries.push(q);
      const body = JSON.stringify({ results: FakeWebIndex.resultsFor(q) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** what the index holds for a query: two pages about it */
  static resultsFor(q: string): Array<{ url: string; title: string; content: string }> {
    const slug = encodeURIComponent(q.toLowerCase().replace(/\s+/g, '-'));
    return [
      { url: `https://docs.example.org/${slug}`, title: `${q} – documentation`, content: `Everything about ${q}.` },
      { url: `https://wiki.example.org/wiki/${slug}`, title: `${q} (wiki)`, content: `${q} explained in the wiki.` },
    ];
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
