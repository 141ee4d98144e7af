// context.d.ts
/** Structured logging for plugins; the host adds the plugin id and redacts secrets. */
export interface PluginLogger {
    debug(message: string, fields?: Record<string, unknown>): void;
    info(message: string, fields?: Record<string, unknown>): void;
    warn(message: string, fields?: Record<string, unknown>): void;
    error(message: string, fields?: Record<string, unknown>): void;
}
/** What the host hands to every plugin call. Plugins reach nothing else of the core. */
export interface PluginContext<Options = Record<string, unknown>> {
    pluginId: string;
    /** the operator's options, validated against `manifest.optionsSchema` */
    options: Options;
    logger: PluginLogger;
    /** the injected clock: use it instead of Date.now() so tests can travel in time */
    now(): Date;
    /** aborted when the step times out or the worker shuts down */
    signal: AbortSignal;
    /**
     * Gateway keys for the tenants of this plugin's instances (since SDK 1.2). A plugin with
     * gateway routes issues one in `provision` and returns it in `ProvisionResult.credentials`.
     */
    gatewayKeys: GatewayKeyIssuer;
}
/** A tenant's key for the metering gateway, as `GatewayKeyIssuer.issue` returns it. */
export interface IssuedGatewayKey {
    /** the key's id (not secret): shown in key listings */
    keyId: string;
    /** the key itself: put it into `ProvisionResult.credentials`; the core stores only its hash */
    key: string;
    /** the scope it carries: `gateway:<pluginId>` */
    scope: string;
}
/**
 * Gateway keys bound to one service instance. The core stores, caches and revokes them: while
 * the instance is suspended the gateway refuses its key (403 `service.suspended`), and when the
 * instance is deprovisioned its key is revoked.
 */
export interface GatewayKeyIssuer {
    /**
     * Issues the instance's key, scope `gateway:<pluginId>`, for the instance's tenant. An
     * instance has at most one valid key: issuing again revokes the earlier one, so a retried
     * provision or a credential rotation leaves exactly one.
     */
    issue(ref: {
        instanceId: string;
        tenantId: string;
    }): Promise<IssuedGatewayKey>;
    /** revokes the instance's key; succeeds when it has none */
    revoke(instanceId: string): Promise<void>;
}

// errors.d.ts
/**
 * A failure that may pass: network errors, timeouts, 5xx, 429. The engine retries the step
 * with exponential backoff (honouring `retryAfterMs` when given).
 */
export declare class RetryableError extends Error {
    readonly options: {
        retryAfterMs?: number;
        cause?: unknown;
    };
    readonly retryable: true;
    constructor(message: string, options?: {
        retryAfterMs?: number;
        cause?: unknown;
    });
}
/**
 * A failure that will not pass by retrying: bad admin credentials, an invalid plan, a refused
 * request. No retry; the instance becomes `failed` and the operator sees `message` (the
 * service's own words). Never put secrets in the message.
 */
export declare class PermanentError extends Error {
    readonly options: {
        code?: string;
        cause?: unknown;
    };
    readonly retryable: false;
    constructor(message: string, options?: {
        code?: string;
        cause?: unknown;
    });
}
/** Classifies an HTTP status the usual way: 408, 425, 429 and 5xx are retryable. */
export declare function errorForStatus(status: number, message: string): RetryableError | PermanentError;
export declare function isRetryable(error: unknown): boolean;

// gateway-access-provisioner.d.ts
import type { PluginContext } from './context';
import type { Entitlements } from './manifest';
import type { InstanceRef, ProvisionRequest, ProvisionResult, RequestMeta, ServiceProvisioner } from './provisioning';
/**
 * (since SDK 1.2) The provisioner of a service the metering gateway makes multi-tenant (a shared
 * Ollama pool, a shared SearXNG): an instance is the tenant's gateway key plus its entitlements,
 * and nothing needs creating at the service. `provision` issues the key (`credentials.apiKey`,
 * shown to the tenant once), `rotateCredentials` issues a new one (the old one stops working),
 * `deprovision` revokes it (the core does too; revoking here also covers a compensated provision),
 * suspension and resumption are the core's (it refuses a suspended instance's key). Extend it and
 * override what your service needs: `checkEntitlements`, `endpoints`, `externalId`, or a whole
 * lifecycle method (call `super` to keep the key handling).
 */
export declare class GatewayAccessProvisioner<Options = Record<string, unknown>> implements ServiceProvisioner<Options> {
    provision(ctx: PluginContext<Options>, request: ProvisionRequest): Promise<ProvisionResult>;
    suspend(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void>;
    resume(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void>;
    deprovision(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void>;
    applyEntitlements(_ctx: PluginContext<Options>, _ref: InstanceRef, entitlements: Entitlements, _meta: RequestMeta): Promise<void>;
    rotateCredentials(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<Record<string, string>>;
    /** Throws a `PermanentError` for entitlement values the service cannot honour (a wrong plan is the operator's to fix). */
    protected checkEntitlements(_entitlements: Entitlements): void;
    /** Where the tenant calls (e.g. `{ api: '<public gateway URL>/<plugin id>' }`); none by default. */
    protected endpoints(_ctx: PluginContext<Options>, _request: ProvisionRequest): Record<string, string>;
    /** Stable per instance, so a retried provision returns the same one: `<plugin id>-<instance id>`. */
    protected externalId(ctx: PluginContext<Options>, request: ProvisionRequest): string;
}

// gateway.d.ts
import type { Entitlements } from './manifest';
import type { UsageRecord } from './usage';
/** A request as the metering gateway saw it, for a usage extractor. */
export interface GatewayExchange {
    method: string;
    /** the path below `/<pluginId>`, e.g. '/api/chat' */
    path: string;
    query: Record<string, string>;
    requestHeaders: Record<string, string>;
    /** parsed JSON request body, if any */
    requestBody?: unknown;
    status: number;
    responseHeaders: Record<string, string>;
    /** for JSON responses: the parsed body; for NDJSON/SSE: every parsed message in order */
    responseMessages: unknown[];
    /** milliseconds from forwarding the request to the last byte of the response */
    upstreamMs: number;
    tenantId: string;
    requestId: string;
    /** (since SDK 1.2) who called, with the instance's entitlements */
    tenant: GatewayTenant;
}
/** Usage without idempotency key and timestamp: the gateway adds both per request. */
export type ExtractedUsage = Omit<UsageRecord, 'idempotencyKey' | 'timestamp'>;
export interface GatewayRoute {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
    /** path pattern below `/<pluginId>`, e.g. '/api/chat' or '/collections/:name/points/search' */
    path: string;
    /** 'tenant' routes are served to gateway keys; 'operator' routes are refused to tenants */
    access: 'tenant' | 'operator';
    /** how the upstream streams its answer, so the gateway can pass chunks through */
    streaming?: 'none' | 'ndjson' | 'sse';
    /**
     * (since SDK 1.2) decides per request, before anything is forwarded, e.g. whether the tenant's
     * entitlements allow the model it asks for; a refusal is answered as problem+json
     */
    authorize?(request: GatewayRequest, tenant: GatewayTenant): GatewayRefusal | undefined;
    /**
     * (since SDK 1.2) the path the upstream gets instead of `request.path` (the query string is
     * kept), e.g. a collection name moved into the tenant's namespace
     */
    rewritePath?(path: string, tenant: GatewayTenant): string;
    /**
     * may rewrite the forwarded JSON body (e.g. ask for usage the client did not ask for);
     * `tenant` since SDK 1.2
     */
    rewriteRequest?(body: unknown, tenant: GatewayTenant): unknown;
    /**
     * (since SDK 1.2) rewrites a JSON (non-streaming) answer before the client gets it, whatever
     * its status: e.g. list only the tenant's collections, under the tenant's own names. The
     * gateway buffers such answers; return the body unchanged when there is nothing to do.
     */
    rewriteResponse?(body: unknown, context: GatewayResponseContext): unknown;
    /** drops messages the client must not see (e.g. a usage chunk the gateway asked for) */
    filterResponseMessage?(message: unknown, requestBody: unknown): boolean;
    extractUsage?(exchange: GatewayExchange): ExtractedUsage[];
}
/** Who is calling, as the gateway knows it from the key (since SDK 1.2). */
export interface GatewayTenant {
    tenantId: string;
    /** the tenant's stable, DNS-safe slug (as `TenantInfo.slug`), for namespacing upstream resources */
    slug: string;
    kind: 'operator' | 'reseller' | 'organization';
    /** the service instance the key was issued for; absent for other keys (e.g. an operator's `*` key) */
    instanceId?: string;
    /** the instance's entitlements; the manifest's defaults for keys without an instance */
    entitlements: Entitlements;
}
/** The client's request as a route hook sees it (since SDK 1.2). */
export interface GatewayRequest {
    method: string;
    /** below `/<pluginId>`, as the client sent it */
    path: string;
    query: Record<string, string>;
    /** the parsed JSON body, when the route reads it (it has `authorize`, `rewriteRequest`, … and the body is JSON) */
    body?: unknown;
}
/** What `rewriteResponse` knows about the exchange (since SDK 1.2). */
export interface GatewayResponseContext {
    request: GatewayRequest;
    tenant: GatewayTenant;
    status: number;
}
/** A refusal a route hook returns; the gateway answers it as problem+json (since SDK 1.2). */
export interface GatewayRefusal {
    status: 400 | 403 | 404 | 409 | 422 | 429;
    /** stable, `<pluginId>.<reason>`, e.g. 'ollama.model_not_allowed' */
    code: string;
    /** for the client: what is wrong and what to do */
    detail: string;
}
export interface GatewayContribution<Options = Record<string, unknown>> {
    /** upstream base URLs from the operator's options, e.g. the Ollama GPU nodes */
    upstreams(options: Options): string[];
    /**
     * the routes; or (since SDK 1.2) a function building them once from the operator's options,
     * when hooks need them (e.g. a model tier map)
     */
    routes: GatewayRoute[] | ((options: Options) => GatewayRoute[]);
    /**
     * (since SDK 1.2) headers added to every forwarded request after the client's credentials are
     * removed, e.g. the operator's Qdrant `api-key`; they never reach a client or a log
     */
    upstreamHeaders?(options: Options): Record<string, string>;
    /**
     * (since SDK 1.2) the per-key rate limit from the tenant's entitlements, instead of the
     * gateway-wide default; `undefined` keeps the default
     */
    rateLimit?(tenant: GatewayTenant): {
        requestsPerMinute: number;
    } | undefined;
}

// health.d.ts
import type { PluginContext } from './context';
import type { InstanceRef } from './provisioning';
export interface HealthStatus {
    status: 'healthy' | 'degraded' | 'unhealthy';
    /** short, human, no secrets */
    message?: string;
    /** e.g. per upstream node: { 'http://gpu-1:11434': 'healthy' } */
    details?: Record<string, string>;
    checkedAt: string;
}
export interface HealthCheck<Options = Record<string, unknown>> {
    /** without `ref`: the service as a whole; with `ref`: one instance */
    check(ctx: PluginContext<Options>, ref?: InstanceRef): Promise<HealthStatus>;
}

// index.d.ts
export * from './version';
export * from './errors';
export * from './manifest';
export * from './manifest-issues';
export * from './context';
export * from './provisioning';
export * from './usage';
export * from './gateway';
export * from './health';
export * from './plugin';
export * from './gateway-access-provisioner';

// manifest-issues.d.ts
/** One thing wrong with a manifest: where (`'manifest.meters[0].key'`) and what. */
export interface ManifestIssue {
    /** a path below `manifest`, JavaScript-style: `'manifest.entitlementKeys[2].default'` */
    field: string;
    /** reads as a sentence after the field: `'must be "demo.<name>" (got "requests")'` */
    problem: string;
}
/**
 * Everything structurally wrong with a manifest; empty when it is valid. The plugin host runs
 * these checks before loading a plugin (and also compiles the options schemas in Ajv strict
 * mode), the testkit's contract suite runs them in the plugin's tests. Not checked here, because
 * they need the environment: the id against the package and folder, and whether
 * `sdkCompatibility` includes the running SDK.
 */
export declare function manifestIssues(manifest: unknown): ManifestIssue[];

// manifest.d.ts
/** A JSON Schema (draft 2020-12 subset) as plain data; the host validates options with it. */
export type JsonSchema = {
    type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null' | Array<'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null'>;
    properties?: Record<string, JsonSchema>;
    required?: string[];
    additionalProperties?: boolean | JsonSchema;
    items?: JsonSchema;
    enum?: Array<string | number | boolean | null>;
    const?: string | number | boolean | null;
    format?: string;
    pattern?: string;
    minLength?: number;
    maxLength?: number;
    minimum?: number;
    maximum?: number;
    minItems?: number;
    maxItems?: number;
    default?: unknown;
    description?: string;
    examples?: unknown[];
    /** marks a secret (admin password, token): never logged, masked in listings */
    writeOnly?: boolean;
    oneOf?: JsonSchema[];
    anyOf?: JsonSchema[];
};
export type ServiceMode = 'shared' | 'dedicated';
export type MeterAggregation = 'sum' | 'count' | 'max' | 'unique_count' | 'latest' | 'time_weighted';
/** A usage meter a plugin reports. Keys are `'<pluginId>.<name>'` (e.g. `ollama.tokens.prompt`). */
export interface MeterDefinition {
    key: string;
    /** singular unit of one quantity: 'token', 'second', 'query', 'byte' */
    unit: string;
    aggregation: MeterAggregation;
    description: string;
    /** properties usage can be grouped and priced by, e.g. ['model', 'tier'] */
    dimensions?: string[];
    /** required for unique_count: the property whose distinct values are counted */
    valueProperty?: string;
}
/** A price the plugin suggests for one of its meters; the operator's catalog decides. */
export interface PriceSuggestion {
    meter: string;
    /** ISO 4217 */
    currency: string;
    /** decimal string, the price of `perQuantity` units: '0.10' per '1000' queries */
    unitPrice: string;
    /** decimal string, default '1' */
    perQuantity?: string;
    /** 'per_unit' is pro rata; 'package' bills every started block */
    model: 'per_unit' | 'package';
    /** decimal string: quantity included before prices apply */
    includedQuantity?: string;
    /** only usage with these dimension values, e.g. { tier: 'pro' } */
    dimensions?: Record<string, string>;
    description: string;
}
export type EntitlementType = 'boolean' | 'integer' | 'decimal' | 'string' | 'string[]' | 'enum';
/**
 * A typed setting a plan or pack may set for this service, e.g. `ollama.modelTiers`
 * (string[]) or `searxng.monthlyQueryLimit` (integer). Keys are `'<pluginId>.<name>'`.
 */
export interface EntitlementKeyDefinition {
    key: string;
    type: EntitlementType;
    description: string;
    /** for type 'enum' (and allowed items of 'string[]') */
    values?: string[];
    /** used when no plan sets it; must fit `type` (a 'decimal' as a string, e.g. '0.5') */
    default?: boolean | number | string | string[];
    /**
     * (since SDK 1.2) the core keeps a monthly quota in step with this entitlement: its value
     * (type 'integer' or 'decimal') becomes the tenant's `limit` for `meter`, one of the plugin's
     * own meters; no value means no quota from this entitlement.
     */
    quota?: {
        meter: string;
        limit: 'hard' | 'soft';
    };
}
export type EntitlementValue = boolean | number | string | string[];
export type Entitlements = Record<string, EntitlementValue>;
/** Everything the host needs to know about a plugin before running any of its code. */
export interface ServicePluginManifest {
    /** kebab-case; equals the folder `plugins/<id>` and the package `@werkbank/plugin-<id>` */
    id: string;
    /** the plugin's own semver */
    version: string;
    /** semver range of @werkbank/plugin-sdk it works with, e.g. '^1.0.0' */
    sdkCompatibility: string;
    displayName: string;
    description: string;
    /**
     * the operator's configuration (URLs, admin credentials): `type: 'object'`, checked in ajv strict
     * mode; formats uri, email, hostname, uuid, date-time; mark secrets `writeOnly`. `required`
     * decides `not_configured`
     */
    optionsSchema: JsonSchema;
    /** per-instance options a tenant may pass with POST /v1/tenants/:id/services */
    instanceOptionsSchema?: JsonSchema;
    modes: ServiceMode[];
    meters: MeterDefinition[];
    suggestedPrices?: PriceSuggestion[];
    entitlementKeys?: EntitlementKeyDefinition[];
}

// plugin.d.ts
import type { GatewayContribution } from './gateway';
import type { HealthCheck } from './health';
import type { ServicePluginManifest } from './manifest';
import type { ServiceProvisioner } from './provisioning';
import type { UsageCollector } from './usage';
/** A plugin: a manifest plus up to four capabilities. The package's default export. */
export interface ServicePlugin<Options = Record<string, unknown>> {
    manifest: ServicePluginManifest;
    provisioner?: ServiceProvisioner<Options>;
    usageCollector?: UsageCollector<Options>;
    gateway?: GatewayContribution<Options>;
    health?: HealthCheck<Options>;
}
/** Identity function that gives a plugin definition its types. */
export declare function defineServicePlugin<Options = Record<string, unknown>>(plugin: ServicePlugin<Options>): ServicePlugin<Options>;
/** Package name of a plugin: `@werkbank/plugin-<id>`. */
export declare function pluginPackageName(id: string): string;
export declare const PLUGIN_ID_PATTERN: RegExp;

// provisioning.d.ts
import type { PluginContext } from './context';
import type { Entitlements, ServiceMode } from './manifest';
/** The tenant a service is provisioned for (plain data, no core types). */
export interface TenantInfo {
    id: string;
    name: string;
    /** a short, stable, DNS-safe name derived from the tenant id, for resource names */
    slug: string;
}
/**
 * Every provisioning call carries a request key: the same key means the same request, so a
 * retried or repeated call must not create a second resource. Keys are stable across retries,
 * worker crashes and restarts (`<instanceId>:<operation>:<generation>`).
 */
export interface RequestMeta {
    requestKey: string;
    /** 1 on the first try */
    attempt: number;
}
export interface ProvisionRequest extends RequestMeta {
    instanceId: string;
    tenant: TenantInfo;
    mode: ServiceMode;
    /** per-instance options, validated against `manifest.instanceOptionsSchema` */
    options: Record<string, unknown>;
    entitlements: Entitlements;
}
/** What provisioning created. Plain data; decimals as strings. */
export interface ProvisionResult {
    /** the service's own id of what was created (a project id, a collection name) */
    externalId: string;
    /** where the tenant reaches it: { api: 'https://…' } */
    endpoints: Record<string, string>;
    /** stored encrypted, revealed to the tenant once; never logged */
    credentials?: Record<string, string>;
    /** anything the plugin needs later (non-secret) */
    metadata?: Record<string, unknown>;
}
/** A provisioned instance, as the plugin gets it back in later calls. */
export interface InstanceRef {
    instanceId: string;
    tenant: TenantInfo;
    mode: ServiceMode;
    externalId: string;
    metadata: Record<string, unknown>;
}
/** What the service reports about an instance; the reconciliation loop repairs differences. */
export interface InspectResult {
    state: 'active' | 'suspended' | 'missing';
    message?: string;
}
/**
 * Lifecycle of a service instance. Every method is idempotent on `meta.requestKey`, throws
 * `RetryableError` or `PermanentError`, and returns plain data.
 */
export interface ServiceProvisioner<Options = Record<string, unknown>> {
    provision(ctx: PluginContext<Options>, request: ProvisionRequest): Promise<ProvisionResult>;
    suspend(ctx: PluginContext<Options>, ref: InstanceRef, meta: RequestMeta): Promise<void>;
    resume(ctx: PluginContext<Options>, ref: InstanceRef, meta: RequestMeta): Promise<void>;
    /**
     * removes the resource; must succeed when it is already gone, and when `ref.externalId` is ''
     * (provisioning never completed, or the engine compensates a provision that failed for good:
     * then remove whatever provision may have created for `ref.instanceId`)
     */
    deprovision(ctx: PluginContext<Options>, ref: InstanceRef, meta: RequestMeta): Promise<void>;
    applyEntitlements(ctx: PluginContext<Options>, ref: InstanceRef, entitlements: Entitlements, meta: RequestMeta): Promise<void>;
    /** issues new credentials and invalidates the old ones */
    rotateCredentials?(ctx: PluginContext<Options>, ref: InstanceRef, meta: RequestMeta): Promise<Record<string, string>>;
    /** the actual state at the service, for drift repair; without it, only lost jobs are repaired */
    inspect?(ctx: PluginContext<Options>, ref: InstanceRef): Promise<InspectResult>;
}

// usage.d.ts
import type { PluginContext } from './context';
import type { InstanceRef } from './provisioning';
/** One usage observation. Plain data: quantity is a decimal string. */
export interface UsageRecord {
    /** a key the plugin declared in `manifest.meters` */
    meter: string;
    /** decimal string, e.g. '1500' or '0.25' */
    quantity: string;
    /** ISO 8601 with offset, when the usage happened */
    timestamp: string;
    /** stable for the same observation: re-collecting a window yields the same keys */
    idempotencyKey: string;
    /** dimension values and details, e.g. { model: 'llama3' }; at most 4 KiB as JSON */
    properties?: Record<string, string | number | boolean>;
}
/** `from` inclusive, `to` exclusive. */
export interface UsageWindow {
    from: Date;
    to: Date;
}
/** For services that count for themselves: the worker pulls each window exactly once. */
export interface UsageCollector<Options = Record<string, unknown>> {
    collect(ctx: PluginContext<Options>, ref: InstanceRef, window: UsageWindow): AsyncIterable<UsageRecord>;
}
/** For services metered in flight: the core hands the plugin a reporter. */
export interface UsageReporter {
    report(tenantId: string, records: UsageRecord[]): Promise<void>;
}

// version.d.ts
/**
 * The SDK's own semantic version (also in core/plugin-sdk/package.json). Plugins declare the
 * range they work with in `manifest.sdkCompatibility`; the plugin host checks it at boot.
 * A breaking change to any exported type needs a new major version (see api/plugin-sdk.api.d.ts).
 */
export declare const SDK_VERSION = "1.2.0";
