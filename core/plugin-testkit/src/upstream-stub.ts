import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the stub received. */
export interface RecordedRequest {
  /** upper case, e.g. 'POST' */
  method: string;
  /** without the query string, e.g. '/projects/p-1' */
  path: string;
  query: Record<string, string>;
  /** lower-case names */
  headers: Record<string, string>;
  /** the parsed JSON body; the raw text when it is not JSON; undefined when empty */
  body: unknown;
  rawBody: string;
}

/** What a handler sees: the request plus the values of `:name` path segments and named RegExp groups. */
export interface StubRequest extends RecordedRequest {
  params: Record<string, string>;
}

export interface StubReply {
  status: number;
  /** objects and arrays are sent as JSON; strings as they are */
  body?: unknown;
  headers?: Record<string, string>;
}

export type StubResponder = StubReply | ((request: StubRequest) => StubReply | Promise<StubReply>);

export interface ExpectOptions {
  /** how often the request must come: exactly n times (default 1), or 'any' number of times (0 included) */
  times?: number | 'any';
}

/** A registered expectation; `requests` are the requests it answered. */
export interface StubExpectation {
  readonly method: string;
  readonly path: string | RegExp;
  readonly times: number | 'any';
  readonly requests: readonly RecordedRequest[];
}

/** Status of the answer to a request that matched no expectation (recognisable, and retryable for the plugin). */
export const UNEXPECTED_REQUEST_STATUS = 599;

interface Registered extends StubExpectation {
  readonly requests: RecordedRequest[];
  matcher: (path: string) => Record<string, string> | undefined;
  respond: StubResponder;
}

/**
 * A real HTTP server on 127.0.0.1 (a free port) standing in for the service a plugin talks to.
 * It answers only what a test told it to expect; anything else gets status 599, is recorded in
 * `unexpected`, and makes `verify()` throw — so a plugin test cannot silently call anything it
 * did not mean to (the idea of Backstage's HTTP stub).
 *
 *   const upstream = useUpstreamStub();            // hooks: start, verify + reset after each test, close
 *   upstream.expect('POST', '/projects', { status: 201, body: { id: 'p-1' } });
 *   upstream.expect('GET', '/projects/:id', (req) => ({ status: 200, body: { id: req.params.id } }), { times: 'any' });
 */
export class UpstreamStub {
  readonly requests: RecordedRequest[] = [];
  readonly unexpected: RecordedRequest[] = [];
  /** errors thrown by reply functions (answered with 500) */
  readonly handlerErrors: Array<{ request: RecordedRequest; error: unknown }> = [];
  private readonly expectations: Registered[] = [];
  private server?: Server;
  private baseUrl?: string;

  /** `http://127.0.0.1:<port>`, once started */
  get url(): string {
    if (!this.baseUrl) throw new Error('UpstreamStub: not started (call start(), or use useUpstreamStub() and read url inside a test or hook)');
    return this.baseUrl;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  /**
   * Expects `method` (or '*') on `path`: an exact path, a path with `:name` segments
   * ('/projects/:id'), or a RegExp tested against the path (named groups become params).
   * The first registered expectation that matches and is not used up answers.
   */
  expect(method: string, path: string | RegExp, reply: StubResponder, options: ExpectOptions = {}): StubExpectation {
    const times = options.times ?? 1;
    if (times !== 'any' && (!Number.isInteger(times) || times < 1)) throw new RangeError(`UpstreamStub.expect: times must be a positive integer or 'any', got ${times}`);
    const registered: Registered = { method: method.toUpperCase(), path, times, requests: [], matcher: pathMatcher(path), respond: reply };
    this.expectations.push(registered);
    return registered;
  }

  /** Throws, listing every request nobody expected, every failed reply function, and every expectation not met. */
  verify(): void {
    const problems: string[] = [];
    for (const request of this.unexpected) problems.push(`unexpected request: ${describeRequest(request)}`);
    for (const { request, error } of this.handlerErrors) problems.push(`reply function failed for ${describeRequest(request)}: ${error instanceof Error ? error.message : String(error)}`);
    for (const e of this.expectations) {
      if (e.times !== 'any' && e.requests.length !== e.times) {
        problems.push(`expected ${e.method} ${String(e.path)} ${e.times} time(s), received ${e.requests.length}`);
      }
    }
    if (problems.length) throw new Error(`UpstreamStub at ${this.baseUrl ?? '(not started)'}:\n  - ${problems.join('\n  - ')}`);
  }

  /** Forgets expectations and recorded requests (between tests). */
  reset(): void {
    this.expectations.length = 0;
    this.requests.length = 0;
    this.unexpected.length = 0;
    this.handlerErrors.length = 0;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.baseUrl = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // keep-alive connections (fetch keeps them) would hold close() open
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let recorded: RecordedRequest | undefined;
    try {
      recorded = await readRequest(req);
      this.requests.push(recorded);
      const found = this.match(recorded);
      if (!found) {
        this.unexpected.push(recorded);
        send(res, { status: UNEXPECTED_REQUEST_STATUS, body: { error: `upstream stub: no expectation for ${recorded.method} ${recorded.path}` }, headers: { 'x-upstream-stub': 'unexpected' } });
        return;
      }
      found.expectation.requests.push(recorded);
      const respond = found.expectation.respond;
      const reply = typeof respond === 'function' ? await respond({ ...recorded, params: found.params }) : respond;
      send(res, reply);
    } catch (error) {
      if (recorded) this.handlerErrors.push({ request: recorded, error });
      if (!res.headersSent) send(res, { status: 500, body: { error: 'upstream stub: reply function failed' } });
      else res.destroy();
    }
  }

  private match(request: RecordedRequest): { expectation: Registered; params: Record<string, string> } | undefined {
    for (const expectation of this.expectations) {
      if (expectation.method !== '*' && expectation.method !== request.method) continue;
      if (expectation.times !== 'any' && expectation.requests.length >= expectation.times) continue;
      const params = expectation.matcher(request.path);
      if (params) return { expectation, params };
    }
    return undefined;
  }
}

/** Starts an UpstreamStub; close it yourself (or use `useUpstreamStub`). */
export async function createUpstreamStub(): Promise<UpstreamStub> {
  return new UpstreamStub().start();
}

/**
 * Registers Jest hooks in the current `describe`: start before all tests, `verify()` after each
 * test (then `reset()`, also when verify fails), close after all. Read `url` inside tests/hooks.
 */
export function useUpstreamStub(): UpstreamStub {
  const stub = new UpstreamStub();
  beforeAll(async () => {
    await stub.start();
  });
  afterEach(() => {
    try {
      stub.verify();
    } finally {
      stub.reset();
    }
  });
  afterAll(async () => {
    await stub.close();
  });
  return stub;
}

function pathMatcher(path: string | RegExp): (actual: string) => Record<string, string> | undefined {
  if (path instanceof RegExp) {
    return (actual) => {
      path.lastIndex = 0;
      const match = path.exec(actual);
      return match ? { ...(match.groups ?? {}) } : undefined;
    };
  }
  if (!path.includes('/:')) return (actual) => (actual === path ? {} : undefined);
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(segment.slice(1));
      return '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${source}$`);
  return (actual) => {
    const match = regex.exec(actual);
    if (!match) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
  };
}

async function readRequest(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks).toString('utf8');
  const url = new URL(req.url ?? '/', 'http://stub.invalid');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let body: unknown = rawBody === '' ? undefined : rawBody;
  if (rawBody !== '' && (/\bjson\b/i.test(headers['content-type'] ?? '') || /^\s*[[{]/.test(rawBody))) {
    try {
      body = JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
  }
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body, rawBody };
}

function send(res: ServerResponse, reply: StubReply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  const hasContentType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  let payload: string | Buffer | undefined;
  if (reply.body === undefined || reply.status === 204 || reply.status === 304) {
    payload = undefined;
  } else if (typeof reply.body === 'string' || Buffer.isBuffer(reply.body)) {
    payload = reply.body;
    if (!hasContentType) headers['content-type'] = 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify(reply.body);
    if (!hasContentType) headers['content-type'] = 'application/json';
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

function describeRequest(request: RecordedRequest): string {
  const query = new URLSearchParams(request.query).toString();
  const body = request.rawBody ? ` body=${request.rawBody.length > 200 ? `${request.rawBody.slice(0, 200)}…` : request.rawBody}` : '';
  return `${request.method} ${request.path}${query ? `?${query}` : ''}${body}`;
}
