import { ProblemException, PROBLEM_CONTENT_TYPE, safeEqual } from '@werkbank/kernel';
import type { Entitlements, ExtractedUsage, GatewayExchange, GatewayRefusal, GatewayRequest, GatewayRoute, GatewayTenant } from '@werkbank/plugin-sdk';
import type { UsageEventInput } from '@werkbank/metering';
import type { BoundInstance } from '@werkbank/provisioning';
import { tenantSlug, type KeyLookup, type VerifiedApiKey } from '@werkbank/tenancy';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { presentedKey } from '../domain/credentials';
import { MessageStream, messageFormat } from '../domain/message-stream';
import { RouteTable, unsafePath, type CompiledRoute } from '../domain/route-table';
import type { QuotaDecision } from '../application/quota-guard';
import { perMinute, type Rate, type RateDecision } from '../application/rate-limiter';
import type { UpstreamBalancer, UpstreamNode } from './upstream-balancer';
import type { GatewayMetrics } from './gateway-metrics';

/** A plugin the gateway serves: its routes, its upstream nodes and what it adds per tenant. */
export interface GatewayPlugin {
  id: string;
  routes: RouteTable;
  balancer: UpstreamBalancer;
  /** the plugin's `upstreamHeaders(options)`, lower-cased names; secret: never logged, never sent to clients */
  upstreamHeaders?: Record<string, string>;
  /** the plugin's `rateLimit(tenant)` */
  rateLimit?(tenant: GatewayTenant): { requestsPerMinute: number } | undefined;
  /** the manifest's entitlement defaults: what keys without an instance get */
  defaultEntitlements: Entitlements;
}

/** A verified key with the service instance it was issued for (null: a key created through the API). */
export interface GatewayCaller extends VerifiedApiKey {
  instance: BoundInstance | null;
}

/** What the request path needs, each behind a small interface (the Nest module wires the real ones). */
export interface GatewayServerDeps {
  plugins: ReadonlyMap<string, GatewayPlugin>;
  /** ids of plugins with gateway routes that are installed but not configured */
  unconfigured: ReadonlySet<string>;
  /** `null`: the key is malformed (no lookup); otherwise the cache's answer */
  lookupKey(key: string): KeyLookup<GatewayCaller> | Promise<KeyLookup<GatewayCaller>> | null;
  /** `rate`: the key's own rate (from the plugin's `rateLimit`), else the gateway's default */
  takeToken(apiKeyId: string, rate?: Rate): RateDecision | Promise<RateDecision>;
  checkQuota(tenantId: string, pluginId: string): Promise<QuotaDecision>;
  /** false while usage cannot be recorded (metering and journal failing, memory full) */
  canMeter(): boolean;
  emitUsage(events: UsageEventInput[]): void;
  metrics: GatewayMetrics;
  metricsText(): Promise<string>;
  metricsToken?: string;
  ready(): Promise<{ ok: boolean; body: Record<string, unknown> }>;
  log: { warn(fields: Record<string, unknown>): void; error(fields: Record<string, unknown>): void };
  bodyLimitBytes: number;
  trustProxy: boolean;
  newRequestId(): string;
  /** the time keys expire against: the process's Clock (tests travel with it) */
  now(): number;
}

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1), plus the tenant's credentials. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host']);
const CREDENTIALS = new Set(['authorization', 'api-key', 'cookie']);
const JSON_TYPE = /^application\/(.+\+)?json\b/i;
/** Content types `curl -d` and similar clients put on a JSON body (or none at all). */
const UNTYPED_BODY = /^(|application\/x-www-form-urlencoded|text\/plain)\s*(;|$)/i;
/** connection failures where the request never reached the node: safe to try another one */
const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const STREAM_TYPE = /^(text\/event-stream|application\/(x-)?ndjson)\b/i;
const CHALLENGE = 'Bearer realm="werkbank-gateway", Basic realm="werkbank-gateway", charset="UTF-8"';
/** a JSON response, NDJSON line or SSE event longer than this is passed on unparsed */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** instance states whose key is refused as revoked (401), and those refused as suspended (403) */
const REMOVED_STATES = new Set(['deprovisioning', 'deprovisioned', 'failed']);
const SUSPENDED_STATES = new Set(['suspending', 'suspended']);
const REFUSAL_STATUSES = new Set([400, 403, 404, 409, 422, 429]);
const REFUSAL_TITLES: Record<number, string> = { 400: 'Bad request', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 422: 'Unprocessable request', 429: 'Too many requests' };

const problem = (status: number, code: string, title: string, detail: string, extensions: Record<string, unknown> = {}) =>
  new ProblemException(status, code, title, detail, extensions);

class Refusal {
  constructor(readonly problem: ProblemException, readonly headers: Record<string, string> = {}) {}
}

/** A request that passed every check, with its body as it goes upstream. */
interface Admitted {
  plugin: GatewayPlugin;
  compiled: CompiledRoute;
  tenantId: string;
  tenant: GatewayTenant;
  /** below `/<pluginId>`, as sent */
  path: string;
  /** what the upstream gets below its base URL (the route's `rewritePath`, else `path`) */
  upstreamPath: string;
  /** the query string with its `?`, or '' */
  search: string;
  /** the parsed JSON body, when the route reads it */
  requestBody?: unknown;
  body?: Buffer | string | IncomingMessage;
}

interface Forward extends Admitted {
  requestId: string;
  started: number;
}

/**
 * The metering gateway's HTTP side: Fastify with one catch-all route, no Nest on the request
 * path. Per request: key (cached), scope, route, rate limit, quota (cached), then forward with
 * undici and stream the answer back as it comes, reading usage from it on the way.
 */
export class GatewayServer {
  readonly fastify: FastifyInstance;
  /** the GatewayTenant per plugin of a cached caller: renewed with the key cache's entries */
  private readonly tenants = new WeakMap<GatewayCaller, Map<string, GatewayTenant>>();
  /** open connections and the requests in flight on each */
  private readonly connections = new Map<Socket, number>();
  private closing = false;

  constructor(private readonly deps: GatewayServerDeps) {
    this.fastify = Fastify({
      logger: false,
      return503OnClosing: true,
      bodyLimit: deps.bodyLimitBytes,
      // streamed answers (LLM generations) may take minutes: no server-side request timeout
      requestTimeout: 0,
      keepAliveTimeout: 65_000,
      genReqId: () => deps.newRequestId(),
    });
    this.fastify.server.on('connection', (socket: Socket) => {
      this.connections.set(socket, 0);
      socket.once('close', () => this.connections.delete(socket));
    });
    this.fastify.addHook('onRequest', (request, reply, done) => {
      const socket = request.raw.socket;
      this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
      // the response's close: sent completely, or the connection is gone
      reply.raw.once('close', () => {
        const left = (this.connections.get(socket) ?? 1) - 1;
        this.connections.set(socket, left);
        if (this.closing && left === 0) socket.destroy();
      });
      done();
    });
    // Bodies are forwarded as streams or read by the proxy itself; Fastify parses nothing.
    this.fastify.removeAllContentTypeParsers();
    this.fastify.addContentTypeParser('*', (_request: FastifyRequest, _payload: IncomingMessage, done: (err: Error | null, body?: unknown) => void) => done(null));
    this.fastify.get('/health/live', async () => ({ status: 'ok' }));
    this.fastify.get('/health/ready', async (_request, reply) => {
      const { ok, body } = await deps.ready();
      return reply.code(ok ? 200 : 503).send(body);
    });
    this.fastify.get('/metrics', async (request, reply) => {
      if (deps.metricsToken && !safeEqual(request.headers.authorization ?? '', `Bearer ${deps.metricsToken}`)) {
        return this.sendProblem(request, reply, new Refusal(problem(401, 'metrics.unauthorized', 'Unauthorized', 'Send `Authorization: Bearer <METRICS_TOKEN>`.')), 'unknown');
      }
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(await deps.metricsText());
    });
    this.fastify.all('/*', (request, reply) => this.handle(request, reply));
    this.fastify.setErrorHandler((error, request, reply) => {
      deps.log.error({ msg: 'gateway request failed', requestId: String(request.id), error: error instanceof Error ? error.stack : String(error) });
      if (reply.raw.headersSent) {
        reply.raw.destroy();
        return;
      }
      this.sendProblem(request, reply, new Refusal(problem(500, 'internal.error', 'Internal server error', 'Something went wrong in the gateway; it has been logged with the request id.')), 'unknown');
    });
    this.fastify.setNotFoundHandler((request, reply) =>
      this.sendProblem(request, reply, new Refusal(problem(404, 'route.not_found', 'Not found', 'Gateway paths are /<plugin id>/<the service path>.')), 'unknown'));
  }

  /**
   * Stops accepting, lets requests in flight finish (a stream to its end), and closes connections
   * as soon as they carry no request: also those a client opened and never used, which Node
   * would otherwise keep until its headers timeout.
   */
  async close(): Promise<void> {
    this.closing = true;
    const closed = this.fastify.close();
    for (const [socket, inFlight] of this.connections) if (inFlight === 0) socket.destroy();
    await closed;
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const url = request.raw.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q < 0 ? url : url.slice(0, q);
    const second = fullPath.indexOf('/', 1);
    const pluginId = second < 0 ? fullPath.slice(1) : fullPath.slice(1, second);
    const path = second < 0 ? '/' : fullPath.slice(second);
    const plugin = this.deps.plugins.get(pluginId);
    const label = plugin ? pluginId : 'unknown';
    try {
      const forward = await this.admit(request, plugin, pluginId, path, q < 0 ? '' : url.slice(q));
      await this.forward(request, reply, { ...forward, requestId: String(request.id), started });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      this.sendProblem(request, reply, error, label);
      this.deps.metrics.requestDuration.observe({ plugin: label, route: 'refused', status: String(error.problem.httpStatus) }, (performance.now() - started) / 1000);
    }
  }

  /** Everything decided before the upstream sees the request; throws a Refusal. */
  private async admit(request: FastifyRequest, plugin: GatewayPlugin | undefined, pluginId: string, path: string, search: string): Promise<Admitted> {
    const key = presentedKey(request.headers);
    const lookup = key ? this.deps.lookupKey(key) : null;
    const result = lookup && 'then' in lookup ? await lookup : lookup;
    if (!result || result.outcome === 'invalid') {
      throw new Refusal(problem(401, 'auth.invalid_api_key', 'Unauthorized',
        key ? 'The API key is unknown, expired or revoked.' : 'Send a gateway key as `Authorization: Bearer <key>`, as an `api-key` header, or as the password of HTTP Basic auth.'),
      { 'www-authenticate': CHALLENGE });
    }
    if (result.outcome === 'unavailable') {
      throw new Refusal(problem(503, 'gateway.auth_unavailable', 'Service unavailable', 'The key cannot be checked right now; retry in a few seconds.'), { 'retry-after': '5' });
    }
    const verified = result.key;
    // a cached answer may outlive the key's expiry: an expired key is refused at its expiresAt, not up to a cache period later
    const expired = !!verified.expiresAt && verified.expiresAt.getTime() <= this.deps.now();
    if (expired || (verified.instance && REMOVED_STATES.has(verified.instance.state))) {
      throw new Refusal(problem(401, 'auth.invalid_api_key', 'Unauthorized', 'The API key is unknown, expired or revoked.'), { 'www-authenticate': CHALLENGE });
    }
    if (verified.tenantStatus !== 'active') {
      throw new Refusal(problem(403, 'tenant.suspended', 'Tenant not active', `The tenant of this API key is ${verified.tenantStatus}; contact your administrator.`));
    }
    if (verified.instance && SUSPENDED_STATES.has(verified.instance.state)) {
      throw new Refusal(problem(403, 'service.suspended', 'Service suspended', `The ${verified.instance.pluginId} service of this key is suspended; resume it (POST /v1/services/${verified.instance.instanceId}/resume) or contact your administrator.`));
    }
    if (!plugin) {
      if (this.deps.unconfigured.has(pluginId)) {
        throw new Refusal(problem(503, 'plugin.not_configured', 'Plugin not configured', `The service "${pluginId}" is installed but the operator has not configured it yet.`));
      }
      throw new Refusal(problem(404, 'plugin.not_found', 'Plugin not found', 'No service with this id is served by the gateway.'));
    }
    if (!verified.scopes.includes('*') && !verified.scopes.includes(`gateway:${plugin.id}`)) {
      throw new Refusal(problem(403, 'auth.forbidden', 'Forbidden', `This API key lacks the scope gateway:${plugin.id}.`));
    }
    if (unsafePath(path)) {
      throw new Refusal(problem(400, 'request.invalid_path', 'Invalid path', 'The path contains dot segments, empty segments or encoded slashes.'));
    }
    const match = plugin.routes.match(request.method, path);
    if (!match) throw new Refusal(problem(404, 'route.not_found', 'Not found', `The service "${plugin.id}" has no ${request.method} ${path} for gateway keys.`));
    if (match.compiled.route.access === 'operator' && verified.tenantKind !== 'operator') {
      throw new Refusal(problem(403, 'gateway.operator_only', 'Forbidden', 'This path of the service is for the operator only.'));
    }
    if (!this.deps.canMeter()) {
      throw new Refusal(problem(503, 'gateway.metering_unavailable', 'Service unavailable', 'Usage cannot be recorded right now; retry later.'), { 'retry-after': '10' });
    }
    const tenant = this.tenantOf(verified, plugin);
    const taken = this.deps.takeToken(verified.apiKeyId, this.rateOf(plugin, tenant));
    const rate = 'then' in taken ? await taken : taken;
    if (!rate.allowed) {
      throw new Refusal(problem(429, 'rate_limit.exceeded', 'Too many requests', `Too many requests with this API key; retry in ${rate.retryAfterSeconds} s.`, { retryAfter: rate.retryAfterSeconds }),
        { 'retry-after': String(rate.retryAfterSeconds) });
    }
    const quota = await this.deps.checkQuota(verified.tenantId, plugin.id);
    if (!quota.allowed) {
      if (quota.reason === 'suspended') {
        throw new Refusal(problem(403, 'tenant.suspended', 'Tenant not active', `The tenant of this API key is ${quota.status}; contact your administrator.`));
      }
      throw new Refusal(problem(429, 'quota.exceeded', 'Quota exceeded', `The hard limit of ${quota.hardLimit} for ${quota.meter} is reached until ${quota.resetsAt}.`,
        { meter: quota.meter, hardLimit: quota.hardLimit, used: quota.used, resetsAt: quota.resetsAt }));
    }
    const admitted: Admitted = { plugin, compiled: match.compiled, tenantId: verified.tenantId, tenant, path, upstreamPath: path, search };
    await this.readBody(request, admitted);
    const route = match.compiled.route;
    if (route.authorize) {
      const refusal = this.hook(admitted, 'authorize', () => route.authorize!(gatewayRequest(request.method, admitted), tenant));
      if (refusal !== undefined && refusal !== null) throw this.refusalOf(admitted, refusal);
    }
    if (route.rewritePath) {
      const rewritten = this.hook(admitted, 'rewritePath', () => route.rewritePath!(path, tenant));
      // the plugin's path gets the same check as the client's: it must not climb out of the upstream's base
      if (typeof rewritten !== 'string' || !rewritten.startsWith('/') || unsafePath(rewritten)) {
        throw new Refusal(problem(400, 'request.invalid_path', 'Invalid path', 'The path cannot be forwarded: it would contain dot segments, empty segments or encoded slashes at the service.'));
      }
      admitted.upstreamPath = rewritten;
    }
    if (route.rewriteRequest && admitted.requestBody !== undefined) {
      admitted.body = JSON.stringify(this.hook(admitted, 'rewriteRequest', () => route.rewriteRequest!(admitted.requestBody, tenant)));
    }
    return admitted;
  }

  /** Who calls this plugin: the key's tenant, its instance and entitlements (the manifest's defaults without an instance). */
  private tenantOf(caller: GatewayCaller, plugin: GatewayPlugin): GatewayTenant {
    let perPlugin = this.tenants.get(caller);
    if (!perPlugin) this.tenants.set(caller, (perPlugin = new Map()));
    let tenant = perPlugin.get(plugin.id);
    if (!tenant) {
      const instance = caller.instance && caller.instance.pluginId === plugin.id ? caller.instance : null;
      tenant = {
        tenantId: caller.tenantId,
        slug: tenantSlug(caller.tenantId),
        kind: caller.tenantKind,
        ...(instance ? { instanceId: instance.instanceId } : {}),
        entitlements: instance ? { ...plugin.defaultEntitlements, ...(instance.entitlements as Entitlements) } : { ...plugin.defaultEntitlements },
      };
      Object.freeze(tenant.entitlements);
      perPlugin.set(plugin.id, Object.freeze(tenant));
    }
    return tenant;
  }

  /** The key's own rate from the plugin's `rateLimit(tenant)`; undefined: the gateway's default. */
  private rateOf(plugin: GatewayPlugin, tenant: GatewayTenant): Rate | undefined {
    if (!plugin.rateLimit) return undefined;
    let limit: { requestsPerMinute: number } | undefined;
    try {
      limit = plugin.rateLimit(tenant);
    } catch (error) {
      this.deps.log.error({ msg: 'rateLimit threw; the default rate limit applies', plugin: plugin.id, error: String(error) });
      return undefined;
    }
    const rpm = limit?.requestsPerMinute;
    return typeof rpm === 'number' && Number.isFinite(rpm) && rpm > 0 ? perMinute(rpm) : undefined;
  }

  /** Runs a plugin hook on the request path: a throw is the plugin's bug, answered 500 and logged. */
  private hook<T>(f: Admitted, name: string, call: () => T): T {
    try {
      return call();
    } catch (error) {
      this.deps.log.error({ msg: `${name} threw; the request is refused`, plugin: f.plugin.id, route: f.compiled.pattern, error: error instanceof Error ? error.stack : String(error) });
      throw new Refusal(problem(500, 'internal.error', 'Internal server error', 'Something went wrong in the gateway; it has been logged with the request id.'));
    }
  }

  /** A plugin's refusal as problem+json; a malformed one still refuses (403), never lets the request through. */
  private refusalOf(f: Admitted, refusal: GatewayRefusal): Refusal {
    const valid = REFUSAL_STATUSES.has(refusal.status) && typeof refusal.code === 'string' && refusal.code.startsWith(`${f.plugin.id}.`) && typeof refusal.detail === 'string';
    if (!valid) this.deps.log.error({ msg: 'authorize returned a malformed refusal; answering 403', plugin: f.plugin.id, route: f.compiled.pattern });
    const status = valid ? refusal.status : 403;
    return new Refusal(problem(status, valid ? refusal.code : `${f.plugin.id}.forbidden`, REFUSAL_TITLES[status], valid ? refusal.detail : 'The service refused this request.'));
  }

  /** Reads and parses a JSON body when the route looks at it; otherwise the body is streamed through. */
  private async readBody(request: FastifyRequest, forward: Admitted): Promise<void> {
    const raw = request.raw;
    // HTTP/1.1: a request has a body exactly when it declares a length or a transfer coding
    const hasBody = (raw.headers['content-length'] !== undefined && raw.headers['content-length'] !== '0') || raw.headers['transfer-encoding'] !== undefined;
    if (!hasBody) return;
    const route = forward.compiled.route;
    const reads = !!(route.rewriteRequest || route.extractUsage || route.filterResponseMessage || route.authorize || route.rewriteResponse);
    const contentType = raw.headers['content-type'] ?? '';
    const json = JSON_TYPE.test(contentType);
    if (!reads || (!json && !UNTYPED_BODY.test(contentType))) {
      forward.body = raw;
      return;
    }
    const buffer = await readAll(raw, this.deps.bodyLimitBytes);
    if (!buffer) throw new Refusal(problem(413, 'request.body_too_large', 'Request body too large', `Send at most ${this.deps.bodyLimitBytes} bytes.`));
    forward.body = buffer;
    if (!json) {
      // `curl -d '{…}'` labels JSON as a form, and services such as Ollama read it as JSON all the
      // same: a body under no type, a form or plain-text type that is a JSON object is read as the
      // service will read it (so the route's hooks see it); anything else passes as it came.
      if (/^\s*\{/.test(buffer.toString('utf8', 0, Math.min(buffer.length, 64)))) {
        try {
          forward.requestBody = JSON.parse(buffer.toString('utf8'));
        } catch {
          // not JSON after all: forwarded unread, as before
        }
      }
      return;
    }
    try {
      forward.requestBody = JSON.parse(buffer.toString('utf8'));
    } catch {
      throw new Refusal(problem(400, 'request.malformed_json', 'Malformed JSON', 'The request body is not valid JSON.'));
    }
  }

  private async forward(request: FastifyRequest, reply: FastifyReply, f: Forward): Promise<void> {
    const route = f.compiled.route;
    const parses = !!(route.extractUsage || route.filterResponseMessage);
    const headers = this.upstreamHeaders(request, f, parses || !!route.rewriteResponse);
    const replayable = !(f.body && typeof f.body === 'object' && !Buffer.isBuffer(f.body));
    const first = f.plugin.balancer.pick();
    if (!first) throw new Refusal(problem(503, 'gateway.no_upstream', 'Service unavailable', `The operator has configured no upstream for "${f.plugin.id}".`));
    let node: UpstreamNode = first;
    const forwardedAt = performance.now();
    let response: Dispatcher.ResponseData;
    for (;;) {
      try {
        response = await this.send(node, request.method, f, headers);
        break;
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'error';
        this.upstreamFailed(f.plugin, node, code);
        const other: UpstreamNode | undefined = replayable && NOT_SENT.has(code) ? f.plugin.balancer.pick(node) : undefined;
        if (other && other !== node && other.downUntil <= Date.now()) {
          node = other;
          continue;
        }
        if (TIMEOUTS.has(code) && code !== 'UND_ERR_CONNECT_TIMEOUT') {
          throw new Refusal(problem(504, 'gateway.upstream_timeout', 'Gateway timeout', `The service "${f.plugin.id}" did not answer in time.`));
        }
        throw new Refusal(problem(502, 'gateway.upstream_unavailable', 'Bad gateway', `The service "${f.plugin.id}" cannot be reached right now.`));
      }
    }
    if (response.statusCode >= 500) this.upstreamFailed(f.plugin, node, `http_${response.statusCode}`);
    else f.plugin.balancer.succeeded(node);

    const contentType = headerValue(response.headers['content-type']);
    const encoded = !!headerValue(response.headers['content-encoding']) && headerValue(response.headers['content-encoding']) !== 'identity';
    if (route.rewriteResponse && request.method !== 'HEAD' && JSON_TYPE.test(contentType ?? '')) {
      return this.rewritten(request, reply, f, response, encoded, forwardedAt);
    }
    const format = parses ? messageFormat(contentType, route.streaming) : 'none';
    const tap = format !== 'none' && !encoded
      ? new MessageStream({ format, maxMessageBytes: MAX_MESSAGE_BYTES, keep: route.filterResponseMessage ? (m) => route.filterResponseMessage!(m, f.requestBody) : undefined })
      : undefined;
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      if (name === 'content-length' && tap && route.filterResponseMessage && format !== 'json') continue; // dropped messages change the length
      out[name] = value;
    }
    out['x-request-id'] = f.requestId;
    const body = response.body as unknown as Readable;
    try {
      reply.raw.writeHead(response.statusCode, out);
    } catch {
      // a header Node refuses to send (invalid characters): the upstream's answer cannot be passed on
      body.destroy();
      throw new Refusal(problem(502, 'gateway.upstream_unavailable', 'Bad gateway', `The service "${f.plugin.id}" sent an answer that cannot be passed on.`));
    }
    reply.hijack();
    const res = reply.raw;
    // a stream's headers go out at once: clients see the answer start before the first token
    if (contentType ? STREAM_TYPE.test(contentType) : route.streaming === 'ndjson' || route.streaming === 'sse') res.flushHeaders();
    relay(body, tap, res, (aborted) => {
      const ended = performance.now();
      this.deps.metrics.requestDuration.observe({ plugin: f.plugin.id, route: f.compiled.pattern, status: aborted ? 'aborted' : String(response.statusCode) }, (ended - f.started) / 1000);
      if (route.extractUsage) this.meter(request, f, response, tap?.messages ?? [], ended - forwardedAt);
    });
  }

  /**
   * A JSON answer on a route with `rewriteResponse`: read whole, rewritten by the plugin, sent with
   * its new length. It fails closed (502), never passing the upstream's own answer on: the hook may
   * exist to hide what the tenant must not see (other tenants' names).
   */
  private async rewritten(request: FastifyRequest, reply: FastifyReply, f: Forward, response: Dispatcher.ResponseData, encoded: boolean, forwardedAt: number): Promise<void> {
    const upstreamBody = response.body as unknown as Readable;
    const cannotPass = (why: string) => {
      upstreamBody.destroy();
      return new Refusal(problem(502, 'gateway.upstream_unavailable', 'Bad gateway', `The service "${f.plugin.id}" sent an answer that cannot be passed on (${why}).`));
    };
    if (encoded) throw cannotPass('it is compressed although the gateway asked for identity encoding');
    let raw: Buffer | null;
    try {
      raw = await readAll(upstreamBody, this.deps.bodyLimitBytes);
    } catch {
      throw cannotPass('it broke off');
    }
    if (!raw) throw cannotPass(`it is larger than ${this.deps.bodyLimitBytes} bytes`);
    let parsed: unknown;
    let body: Buffer;
    if (raw.length === 0) {
      body = raw;
    } else {
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        throw cannotPass('it is not valid JSON');
      }
      const context = { request: gatewayRequest(request.method, f), tenant: f.tenant, status: response.statusCode };
      body = Buffer.from(JSON.stringify(this.hook(f, 'rewriteResponse', () => f.compiled.route.rewriteResponse!(parsed, context))) ?? '', 'utf8');
    }
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length' || name === 'content-encoding') continue;
      out[name] = value;
    }
    out['content-length'] = String(body.length);
    out['x-request-id'] = f.requestId;
    reply.hijack();
    reply.raw.writeHead(response.statusCode, out);
    reply.raw.end(body);
    const ended = performance.now();
    this.deps.metrics.requestDuration.observe({ plugin: f.plugin.id, route: f.compiled.pattern, status: String(response.statusCode) }, (ended - f.started) / 1000);
    // the extractor reads the upstream's answer, as it reads messages a filter dropped
    if (f.compiled.route.extractUsage) this.meter(request, f, response, parsed === undefined ? [] : [parsed], ended - forwardedAt);
  }

  private send(node: UpstreamNode, method: string, f: Forward, headers: IncomingHttpHeaders): Promise<Dispatcher.ResponseData> {
    node.outstanding += 1;
    const settle = () => {
      node.outstanding -= 1;
    };
    const sent = node.pool.request({ path: node.basePath + f.upstreamPath + f.search, method: method as Dispatcher.HttpMethod, headers, body: f.body as Dispatcher.DispatchOptions['body'] });
    sent.then((r) => {
      // the node is busy until its answer has been read to the end (or the client went away)
      const body = r.body as unknown as Readable;
      body.once('close', settle);
    }, settle);
    return sent;
  }

  private upstreamHeaders(request: FastifyRequest, f: Forward, reads: boolean): IncomingHttpHeaders {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name) || CREDENTIALS.has(name)) continue;
      if (name.startsWith('x-forwarded-') && !this.deps.trustProxy) continue;
      headers[name] = value;
    }
    // the proxy reads what it meters or rewrites, so it asks for it uncompressed
    if (reads) headers['accept-encoding'] = 'identity';
    if (typeof f.body === 'string' || Buffer.isBuffer(f.body)) headers['content-length'] = String(Buffer.byteLength(f.body));
    const remote = request.raw.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${remote}` : remote;
    headers['x-forwarded-proto'] ??= 'http';
    if (request.headers.host) headers['x-forwarded-host'] ??= request.headers.host;
    headers['x-request-id'] = f.requestId;
    // the plugin's own headers (e.g. the operator's api-key) last: a client cannot override them
    if (f.plugin.upstreamHeaders) Object.assign(headers, f.plugin.upstreamHeaders);
    return headers;
  }

  private upstreamFailed(plugin: GatewayPlugin, node: UpstreamNode, reason: string): void {
    plugin.balancer.failed(node);
    this.deps.metrics.upstreamFailures.inc({ plugin: plugin.id, upstream: node.url, reason });
    this.deps.log.warn({ msg: 'upstream failed; node marked down', plugin: plugin.id, upstream: node.url, reason });
  }

  /** Reads usage from the finished exchange and hands it to the emitter (never throws into the request). */
  private meter(request: FastifyRequest, f: Forward, response: Dispatcher.ResponseData, messages: unknown[], upstreamMs: number): void {
    const route = f.compiled.route as Required<Pick<GatewayRoute, 'extractUsage'>> & GatewayRoute;
    let usage: ExtractedUsage[];
    try {
      const exchange: GatewayExchange = {
        method: request.method,
        path: f.path,
        query: Object.fromEntries(new URLSearchParams(f.search)),
        requestHeaders: plainHeaders(request.headers, CREDENTIALS),
        requestBody: f.requestBody,
        status: response.statusCode,
        responseHeaders: plainHeaders(response.headers, HOP_BY_HOP),
        responseMessages: messages,
        upstreamMs,
        tenantId: f.tenantId,
        requestId: f.requestId,
        tenant: f.tenant,
      };
      usage = route.extractUsage(exchange) ?? [];
    } catch (error) {
      this.deps.log.error({ msg: 'extractUsage threw; no usage recorded for this request', plugin: f.plugin.id, route: f.compiled.pattern, requestId: f.requestId, error: String(error) });
      return;
    }
    if (!Array.isArray(usage)) {
      this.deps.log.error({ msg: 'extractUsage returned no array; no usage recorded for this request', plugin: f.plugin.id, route: f.compiled.pattern, requestId: f.requestId });
      return;
    }
    if (!usage.length) return;
    const timestamp = new Date().toISOString();
    this.deps.emitUsage(usage.map((u, i) => ({
      tenantId: f.tenantId,
      meter: u.meter,
      quantity: u.quantity,
      timestamp,
      idempotencyKey: `gw:${f.requestId}:${i}`,
      ...(u.properties ? { properties: u.properties } : {}),
    })));
  }

  private sendProblem(request: FastifyRequest, reply: FastifyReply, refusal: Refusal, plugin: string): FastifyReply {
    const doc = refusal.problem.toProblem(request.raw.url?.split('?')[0], String(request.id));
    this.deps.metrics.refusals.inc({ plugin, code: doc.code });
    return reply.code(doc.status).headers({ ...refusal.headers, 'x-request-id': String(request.id), 'content-type': PROBLEM_CONTENT_TYPE }).send(JSON.stringify(doc));
  }
}

/**
 * Streams the upstream's body (through the tap, if any) to the client with backpressure, like
 * `stream.pipeline` without its per-call AbortController and error objects on the hot path.
 * `done(aborted)` runs once: after the last byte went out, or when either side broke off (then
 * the other side is destroyed too: a client that left aborts the upstream request).
 */
function relay(body: Readable, tap: MessageStream | undefined, res: ServerResponse, done: (aborted: boolean) => void): void {
  let settled = false;
  const settle = (aborted: boolean) => {
    if (settled) return;
    settled = true;
    if (aborted) {
      body.destroy();
      tap?.destroy();
      if (!res.destroyed) res.destroy();
    }
    done(aborted);
  };
  body.once('error', () => settle(true));
  tap?.once('error', () => settle(true));
  res.once('finish', () => settle(false));
  res.once('close', () => settle(!res.writableFinished));
  (tap ? body.pipe(tap) : body).pipe(res);
}

/** The client's request as route hooks see it. */
function gatewayRequest(method: string, f: Admitted): GatewayRequest {
  return { method, path: f.path, query: Object.fromEntries(new URLSearchParams(f.search)), ...(f.requestBody !== undefined ? { body: f.requestBody } : {}) };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function plainHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, skip: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || skip.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The whole body, or null when it is longer than `limit`. */
async function readAll(stream: IncomingMessage | Readable, limit: number): Promise<Buffer | null> {
  const declared = 'headers' in stream ? Number(stream.headers['content-length']) : NaN;
  if (declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

