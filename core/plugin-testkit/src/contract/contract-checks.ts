import { expect } from '@jest/globals';
import {
  PermanentError,
  RetryableError,
  SDK_VERSION,
  type Entitlements,
  type GatewayContribution,
  type GatewayRoute,
  type HealthStatus,
  type InstanceRef,
  type ProvisionRequest,
  type RequestMeta,
  type ServiceMode,
  type ServicePlugin,
  type ServiceProvisioner,
  type TenantInfo,
  type UsageRecord,
  type UsageWindow,
} from '@werkbank/plugin-sdk';
import { randomUUID } from 'node:crypto';
import { FAKE_CLOCK_START } from '../fake-clock';
import { createPluginContext, type TestPluginContext } from '../plugin-context';
import { defaultEntitlements, manifestProblems, type ManifestArea } from './manifest-checks';

export interface PluginContractSuiteOptions<Options = Record<string, unknown>> {
  plugin: ServicePlugin<Options>;
  /** the operator's options; a function when they are known only once the fake upstream runs (its URL) */
  options: Options | (() => Options);
  /** per-instance options for provision (default {}) */
  instanceOptions?: Record<string, unknown>;
  /** the tenant instances are provisioned for (default: a made-up one) */
  tenant?: TenantInfo;
  /** default: the manifest's first mode */
  mode?: ServiceMode;
  /** entitlements for provision and applyEntitlements (default: the declared defaults) */
  entitlements?: Entitlements;
  /** from the plugin author's fake upstream: how many resources exist at the service now */
  countResources?: () => number | Promise<number>;
  /** puts the fake upstream back to empty and healthy; called before every test */
  resetUpstream?: () => void | Promise<void>;
  /** makes the fake upstream answer every request with `status` until the next reset (needs resetUpstream) */
  failWith?: (status: number) => void | Promise<void>;
  /** the usage window to collect (default: the hour before `now`) */
  window?: UsageWindow;
  /** makes the fake upstream hold usage of `ref` (some inside `window`), before a collection */
  usageSetup?: (ref: InstanceRef, window: UsageWindow) => void | Promise<void>;
  /** the fake clock's time in every context (default FAKE_CLOCK_START) */
  now?: Date | string;
  /** per test (default 10 s) */
  timeoutMs?: number;
}

/** One contract test: `group` becomes a describe, `name` the test name. */
export interface ContractCheck {
  group: string;
  name: string;
  run(): Promise<void>;
}

const TYPED_ERRORS = 'RetryableError or PermanentError (@werkbank/plugin-sdk)';

/** The contract tests for one plugin, as plain functions (runPluginContractSuite registers them with Jest). */
export function contractChecks<Options>(suite: PluginContractSuiteOptions<Options>): ContractCheck[] {
  const { plugin } = suite;
  const manifest = plugin.manifest;
  const id = manifest.id;
  if (suite.failWith && !suite.resetUpstream) throw new Error('runPluginContractSuite: failWith needs resetUpstream (it ends the failure before the next test)');

  const start = new Date(suite.now ?? FAKE_CLOCK_START);
  const window: UsageWindow = suite.window ?? { from: new Date(start.getTime() - 3_600_000), to: start };
  const mode: ServiceMode = suite.mode ?? manifest.modes?.[0] ?? 'shared';
  const tenant: TenantInfo = suite.tenant ?? { id: randomUUID(), name: 'Contract Test Tenant', slug: 'contract-test' };
  const entitlements = (): Entitlements => suite.entitlements ?? defaultEntitlements(manifest);
  const options = (): Options => (typeof suite.options === 'function' ? (suite.options as () => Options)() : suite.options);
  const context = (): TestPluginContext<Options> => createPluginContext(id, options(), { now: start });
  const count = async (): Promise<number | undefined> => (suite.countResources ? await suite.countResources() : undefined);

  const checks: ContractCheck[] = [];
  const check = (group: string, name: string, run: () => Promise<void>) => checks.push({ group, name, run });

  // ---- definition and manifest --------------------------------------------------------------
  const manifestCheck = (area: ManifestArea, name: string) =>
    check('manifest', name, async () => {
      const problems = manifestProblems(manifest).filter((p) => p.area === area).map((p) => p.message);
      if (problems.length) throw new Error(`manifest of '${id}':\n  - ${problems.join('\n  - ')}`);
    });
  manifestCheck('identity', 'has a kebab-case id, a semver version, a display name and a description');
  manifestCheck('sdkCompatibility', `declares an sdkCompatibility range that covers the current SDK (${SDK_VERSION})`);
  manifestCheck('options', 'declares object schemas for its options, each required property defined');
  manifestCheck('modes', 'declares at least one mode (shared, dedicated), each once');
  manifestCheck('meters', `keys every meter '${id}.<name>', once, with a valid aggregation, a unit and a description`);
  manifestCheck('prices', 'suggests prices only for declared meters, as decimal strings in an ISO 4217 currency');
  manifestCheck('entitlements', `keys every entitlement '${id}.<name>', once, with a valid type and a default of that type`);
  check('manifest', 'implements every method of the capabilities it declares', async () => {
    const missing = capabilityProblems(plugin as ServicePlugin<unknown>);
    if (missing.length) throw new Error(`plugin '${id}':\n  - ${missing.join('\n  - ')}`);
  });
  const gateway = plugin.gateway;
  if (gateway) {
    check('gateway', 'builds a valid route table from the options (methods, path patterns, access, streaming, hooks), and its upstreams and upstream headers', async () => {
      const problems = gatewayProblems(gateway as GatewayContribution<unknown>, options());
      if (problems.length) throw new Error(`gateway of '${id}':\n  - ${problems.join('\n  - ')}`);
    });
  }

  // ---- provisioner -----------------------------------------------------------------------------
  const provisioner = plugin.provisioner;
  const instance = () => {
    const instanceId = randomUUID();
    const meta = (operation: string, generation = 1, attempt = 1): RequestMeta => ({ requestKey: `${instanceId}:${operation}:${generation}`, attempt });
    const request = (attempt = 1): ProvisionRequest => ({
      ...meta('provision', 1, attempt),
      instanceId,
      tenant,
      mode,
      options: suite.instanceOptions ?? {},
      entitlements: entitlements(),
    });
    const ref = (externalId: string, metadata: Record<string, unknown> = {}): InstanceRef => ({ instanceId, tenant, mode, externalId, metadata });
    return { instanceId, meta, request, ref };
  };
  const provisionOne = async (p: ServiceProvisioner<Options>, ctx: TestPluginContext<Options>) => {
    const i = instance();
    const result = await typed('provision', p.provision(ctx, i.request()));
    return { ...i, result, provisioned: i.ref(result.externalId, result.metadata ?? {}) };
  };

  if (provisioner) {
    const p = provisioner;
    check('provisioner', 'provisions a resource and returns plain data (externalId, string endpoints and credentials)', async () => {
      const ctx = context();
      const before = await count();
      const { result } = await provisionOne(p, ctx);
      expect(typeof result.externalId === 'string' && result.externalId !== '').toBe(true);
      expectStringMap(result.endpoints, 'endpoints');
      if (result.credentials !== undefined) expectStringMap(result.credentials, 'credentials');
      expect(JSON.parse(JSON.stringify(result))).toEqual(result);
      if (before !== undefined) expect({ resourcesCreated: (await count())! - before }).toEqual({ resourcesCreated: 1 });
    });

    check('provisioner', 'creates one resource for a repeated request key (a retried provision) and returns the same externalId', async () => {
      const ctx = context();
      const before = await count();
      const i = instance();
      const first = await typed('provision', p.provision(ctx, i.request(1)));
      const second = await typed('provision (same request key, attempt 2)', p.provision(ctx, i.request(2)));
      expect({ externalId: second.externalId }).toEqual({ externalId: first.externalId });
      if (before !== undefined) expect({ resourcesCreated: (await count())! - before }).toEqual({ resourcesCreated: 1 });
    });

    check('provisioner', 'suspends, resumes and deprovisions an instance (inspect follows, when implemented)', async () => {
      const ctx = context();
      const before = await count();
      const { provisioned: ref, meta } = await provisionOne(p, ctx);
      if (p.inspect) expect(await typed('inspect', p.inspect(ctx, ref))).toMatchObject({ state: 'active' });
      await typed('suspend', p.suspend(ctx, ref, meta('suspend')));
      if (p.inspect) expect(await typed('inspect', p.inspect(ctx, ref))).toMatchObject({ state: 'suspended' });
      await typed('resume', p.resume(ctx, ref, meta('resume')));
      if (p.inspect) expect(await typed('inspect', p.inspect(ctx, ref))).toMatchObject({ state: 'active' });
      await typed('deprovision', p.deprovision(ctx, ref, meta('deprovision')));
      if (p.inspect) expect(await typed('inspect', p.inspect(ctx, ref))).toMatchObject({ state: 'missing' });
      if (before !== undefined) expect({ resourcesLeft: (await count())! - before }).toEqual({ resourcesLeft: 0 });
    });

    check('provisioner', 'repeats suspend and resume with the same request key without error (idempotent)', async () => {
      const ctx = context();
      const { provisioned: ref, meta } = await provisionOne(p, ctx);
      await typed('suspend', p.suspend(ctx, ref, meta('suspend')));
      await typed('suspend (same request key, attempt 2)', p.suspend(ctx, ref, meta('suspend', 1, 2)));
      await typed('resume', p.resume(ctx, ref, meta('resume')));
      await typed('resume (same request key, attempt 2)', p.resume(ctx, ref, meta('resume', 1, 2)));
      if (p.inspect) expect(await typed('inspect', p.inspect(ctx, ref))).toMatchObject({ state: 'active' });
    });

    check('provisioner', 'deprovisions twice without error (a retry, then a new request) and leaves nothing behind', async () => {
      const ctx = context();
      const before = await count();
      const { provisioned: ref, meta } = await provisionOne(p, ctx);
      await typed('deprovision', p.deprovision(ctx, ref, meta('deprovision')));
      await typed('deprovision (same request key, attempt 2)', p.deprovision(ctx, ref, meta('deprovision', 1, 2)));
      await typed('deprovision (new request key)', p.deprovision(ctx, ref, meta('deprovision', 2)));
      if (before !== undefined) expect({ resourcesLeft: (await count())! - before }).toEqual({ resourcesLeft: 0 });
    });

    check('provisioner', "deprovisions an instance whose provisioning never completed (externalId '')", async () => {
      const ctx = context();
      const i = instance();
      await typed('deprovision', p.deprovision(ctx, i.ref(''), i.meta('deprovision')));
    });

    check('provisioner', 'deprovisions an instance the service does not know (unknown externalId)', async () => {
      const ctx = context();
      const i = instance();
      await typed('deprovision', p.deprovision(ctx, i.ref(`unknown-${randomUUID()}`), i.meta('deprovision')));
    });

    check('provisioner', 'applies the declared default entitlements', async () => {
      const ctx = context();
      const { provisioned: ref, meta } = await provisionOne(p, ctx);
      await typed('applyEntitlements', p.applyEntitlements(ctx, ref, defaultEntitlements(manifest), meta('entitlements')));
      await typed('applyEntitlements (same request key, attempt 2)', p.applyEntitlements(ctx, ref, defaultEntitlements(manifest), meta('entitlements', 1, 2)));
    });

    if (p.rotateCredentials) {
      const rotate = p.rotateCredentials.bind(p);
      check('provisioner', 'rotates credentials into a new string map', async () => {
        const ctx = context();
        const { provisioned: ref, meta } = await provisionOne(p, ctx);
        expectStringMap(await typed('rotateCredentials', rotate(ctx, ref, meta('rotate'))), 'rotated credentials');
      });
    }

    check('provisioner', 'never logs credentials or write-only options', async () => {
      const ctx = context();
      const { provisioned: ref, meta, result } = await provisionOne(p, ctx);
      await typed('suspend', p.suspend(ctx, ref, meta('suspend')));
      await typed('resume', p.resume(ctx, ref, meta('resume')));
      await typed('applyEntitlements', p.applyEntitlements(ctx, ref, entitlements(), meta('entitlements')));
      await typed('deprovision', p.deprovision(ctx, ref, meta('deprovision')));
      const secrets = [...secretOptionValues(manifest.optionsSchema.properties ?? {}, ctx.options), ...Object.values(result.credentials ?? {})];
      const log = ctx.logger.text();
      const leaked = secrets.filter((secret) => secret.length >= 4 && log.includes(secret));
      expect({ leakedSecrets: leaked.map(mask) }).toEqual({ leakedSecrets: [] });
    });
  }

  // ---- usage collector -------------------------------------------------------------------------
  const collector = plugin.usageCollector;
  const usageRef = async (ctx: TestPluginContext<Options>): Promise<InstanceRef> => {
    if (provisioner) return (await provisionOne(provisioner, ctx)).provisioned;
    return instance().ref(`contract-${randomUUID()}`);
  };
  if (collector) {
    const declared = new Set((manifest.meters ?? []).map((m) => m.key));
    const collect = async (ctx: TestPluginContext<Options>, ref: InstanceRef): Promise<UsageRecord[]> => {
      const records: UsageRecord[] = [];
      await typed('usageCollector.collect', (async () => {
        for await (const record of collector.collect(ctx, ref, window)) {
          records.push(record);
          if (records.length > 100_000) throw new Error('more than 100000 records for one window: is the iterable endless?');
        }
      })());
      return records;
    };

    check('usage collector', 'reports only declared meters, with idempotency keys, decimal-string quantities and timestamps inside the window', async () => {
      const ctx = context();
      const ref = await usageRef(ctx);
      await suite.usageSetup?.(ref, window);
      const records = await collect(ctx, ref);
      if (suite.usageSetup) expect({ recordsCollected: records.length > 0 }).toEqual({ recordsCollected: true });
      const problems = records.flatMap((record, i) => usageRecordProblems(record, declared, window).map((m) => `record ${i} ${JSON.stringify(record)}: ${m}`));
      const keys = records.map((r) => r.idempotencyKey);
      if (new Set(keys).size !== keys.length) problems.push('two records of one collection share an idempotency key (the core would drop one)');
      if (problems.length) throw new Error(`usage of '${id}':\n  - ${problems.join('\n  - ')}`);
    });

    check('usage collector', 'yields the same idempotency keys when the same window is collected twice', async () => {
      const ctx = context();
      const ref = await usageRef(ctx);
      await suite.usageSetup?.(ref, window);
      const first = (await collect(ctx, ref)).map((r) => r.idempotencyKey).sort();
      const second = (await collect(ctx, ref)).map((r) => r.idempotencyKey).sort();
      expect(second).toEqual(first);
    });
  }

  // ---- health ----------------------------------------------------------------------------------
  const health = plugin.health;
  if (health) {
    check('health', 'reports the health of the service as a HealthStatus', async () => {
      expectHealthStatus(await typed('health.check', health.check(context())));
    });
    check('health', 'reports the health of an instance as a HealthStatus', async () => {
      const ctx = context();
      expectHealthStatus(await typed('health.check(ref)', health.check(ctx, await usageRef(ctx))));
    });
  }

  // ---- errors ----------------------------------------------------------------------------------
  const failWith = suite.failWith;
  if (failWith && provisioner) {
    const p = provisioner;
    const provisionFails = (status: number, expected: typeof RetryableError | typeof PermanentError) =>
      check('errors', `turns a ${status} from the service into a ${expected.name} (provision)`, async () => {
        const ctx = context();
        const i = instance();
        await failWith(status);
        await expectTypedRejection(`provision with the service answering ${status}`, p.provision(ctx, i.request()), expected, ctx.options, manifest.optionsSchema.properties ?? {});
      });
    provisionFails(503, RetryableError);
    provisionFails(429, RetryableError);
    provisionFails(401, PermanentError);

    check('errors', 'turns a 503 during suspend, resume, applyEntitlements and deprovision into a RetryableError', async () => {
      const ctx = context();
      const { provisioned: ref, meta } = await provisionOne(p, ctx);
      await failWith(503);
      const secretsSchema = manifest.optionsSchema.properties ?? {};
      await expectTypedRejection('suspend with the service answering 503', p.suspend(ctx, ref, meta('suspend')), RetryableError, ctx.options, secretsSchema);
      await expectTypedRejection('resume with the service answering 503', p.resume(ctx, ref, meta('resume')), RetryableError, ctx.options, secretsSchema);
      await expectTypedRejection('applyEntitlements with the service answering 503', p.applyEntitlements(ctx, ref, entitlements(), meta('entitlements')), RetryableError, ctx.options, secretsSchema);
      await expectTypedRejection('deprovision with the service answering 503', p.deprovision(ctx, ref, meta('deprovision')), RetryableError, ctx.options, secretsSchema);
    });
  }
  if (failWith && collector) {
    check('errors', 'turns a 503 while collecting usage into a RetryableError', async () => {
      const ctx = context();
      const ref = await usageRef(ctx);
      await failWith(503);
      const drain = (async () => {
        for await (const _record of collector.collect(ctx, ref, window)) {
          // drain
        }
      })();
      await expectTypedRejection('usageCollector.collect with the service answering 503', drain, RetryableError, ctx.options, manifest.optionsSchema.properties ?? {});
    });
  }

  return checks;
}

/** Awaits a plugin call; an error that is not one of the SDK's typed errors fails the test with an explanation. */
async function typed<T>(label: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof RetryableError || error instanceof PermanentError) {
      throw new Error(`${label} failed with ${error.name}: ${error.message}`, { cause: error });
    }
    throw new Error(`${label} threw ${describeError(error)}; a plugin throws only ${TYPED_ERRORS}${duplicateSdkHint(error)}`, { cause: error });
  }
}

async function expectTypedRejection(
  label: string,
  promise: Promise<unknown>,
  expected: typeof RetryableError | typeof PermanentError,
  options: unknown,
  properties: Record<string, { writeOnly?: boolean }>,
): Promise<void> {
  let error: unknown;
  let failed = false;
  try {
    await promise;
  } catch (caught) {
    failed = true;
    error = caught;
  }
  if (!failed) throw new Error(`${label}: expected a ${expected.name}, but the call succeeded`);
  if (!(error instanceof expected)) throw new Error(`${label}: expected a ${expected.name}, got ${describeError(error)}${duplicateSdkHint(error)}`);
  const leaked = secretOptionValues(properties, options).filter((secret) => secret.length >= 4 && (error as Error).message.includes(secret));
  if (leaked.length) throw new Error(`${label}: the error message contains a write-only option (${leaked.map(mask).join(', ')})`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor?.name ?? error.name}: ${error.message}`;
  return `a non-Error value ${JSON.stringify(error)}`;
}

function duplicateSdkHint(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  return name === 'RetryableError' || name === 'PermanentError'
    ? ` (it is named ${name} but is not the SDK's class: is @werkbank/plugin-sdk installed twice? Declare it as a peerDependency)`
    : '';
}

function expectStringMap(value: unknown, what: string): void {
  const ok = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
  if (!ok) throw new Error(`${what} must be an object of strings, got ${JSON.stringify(value)}`);
}

function expectHealthStatus(status: HealthStatus): void {
  const problems: string[] = [];
  if (!['healthy', 'degraded', 'unhealthy'].includes(status?.status)) problems.push(`status ${JSON.stringify(status?.status)} is not healthy, degraded or unhealthy`);
  if (typeof status?.checkedAt !== 'string' || Number.isNaN(Date.parse(status.checkedAt))) problems.push(`checkedAt ${JSON.stringify(status?.checkedAt)} is not an ISO 8601 time`);
  if (status?.message !== undefined && typeof status.message !== 'string') problems.push('message is not a string');
  if (status?.details !== undefined) {
    const d = status.details;
    if (typeof d !== 'object' || d === null || !Object.values(d).every((v) => typeof v === 'string')) problems.push('details is not an object of strings');
  }
  if (problems.length) throw new Error(`health status ${JSON.stringify(status)}:\n  - ${problems.join('\n  - ')}`);
}

/** A usage quantity: a plain, non-negative decimal string, '10', '0.25' (no sign, exponent or spaces). */
const DECIMAL_STRING = /^\d+(\.\d+)?$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function usageRecordProblems(record: UsageRecord, declared: Set<string>, window: UsageWindow): string[] {
  const problems: string[] = [];
  if (!declared.has(record.meter)) problems.push(`meter ${JSON.stringify(record.meter)} is not declared in the manifest`);
  if (typeof record.idempotencyKey !== 'string' || record.idempotencyKey.trim() === '') problems.push('idempotencyKey is empty');
  if (typeof record.quantity !== 'string' || !DECIMAL_STRING.test(record.quantity)) problems.push(`quantity ${JSON.stringify(record.quantity)} is not a decimal string`);
  const at = typeof record.timestamp === 'string' && ISO_WITH_OFFSET.test(record.timestamp) ? Date.parse(record.timestamp) : Number.NaN;
  if (Number.isNaN(at)) problems.push(`timestamp ${JSON.stringify(record.timestamp)} is not ISO 8601 with an offset`);
  else if (at < window.from.getTime() || at >= window.to.getTime()) {
    problems.push(`timestamp ${record.timestamp} is outside the window [${window.from.toISOString()}, ${window.to.toISOString()})`);
  }
  if (record.properties !== undefined) {
    const values = Object.values(record.properties);
    if (!values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) problems.push('properties hold something other than strings, numbers and booleans');
    if (Buffer.byteLength(JSON.stringify(record.properties)) > 4096) problems.push('properties exceed 4 KiB as JSON');
  }
  return problems;
}

function capabilityProblems(plugin: ServicePlugin<unknown>): string[] {
  const problems: string[] = [];
  const needs = (owner: string, object: object | undefined, methods: string[]) => {
    if (!object) return;
    for (const method of methods) {
      if (typeof (object as Record<string, unknown>)[method] !== 'function') problems.push(`${owner}.${method} is not a function`);
    }
  };
  needs('provisioner', plugin.provisioner, ['provision', 'suspend', 'resume', 'deprovision', 'applyEntitlements']);
  needs('usageCollector', plugin.usageCollector, ['collect']);
  needs('health', plugin.health, ['check']);
  if (plugin.gateway) {
    needs('gateway', plugin.gateway, ['upstreams']);
    const routes = plugin.gateway.routes;
    if (typeof routes !== 'function' && (!Array.isArray(routes) || routes.length === 0)) problems.push('gateway.routes is empty (an array of routes, or a function of the options returning them)');
  }
  if (!plugin.provisioner && !plugin.usageCollector && !plugin.gateway && !plugin.health) {
    problems.push('declares no capability (provisioner, usageCollector, gateway, health)');
  }
  return problems;
}

const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', '*'];
const ROUTE_HOOKS = ['authorize', 'rewritePath', 'rewriteRequest', 'rewriteResponse', 'filterResponseMessage', 'extractUsage'] as const;

/** What the gateway would refuse or misroute: the routes as built from `options`, checked like the gateway compiles them. */
function gatewayProblems(gateway: GatewayContribution<unknown>, options: unknown): string[] {
  const problems: string[] = [];
  const attempt = <T>(what: string, call: () => T): T | undefined => {
    try {
      return call();
    } catch (error) {
      problems.push(`${what} threw: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const routes = typeof gateway.routes === 'function' ? attempt('routes(options)', () => (gateway.routes as (o: unknown) => GatewayRoute[])(options)) : gateway.routes;
  if (routes !== undefined && (!Array.isArray(routes) || routes.length === 0)) problems.push('routes: no routes');
  const seen = new Set<string>();
  for (const route of Array.isArray(routes) ? routes : []) {
    const where = `route ${route?.method} ${JSON.stringify(route?.path)}`;
    if (!ROUTE_METHODS.includes(route.method)) problems.push(`${where}: method must be one of ${ROUTE_METHODS.join(', ')}`);
    if (typeof route.path !== 'string' || !route.path.startsWith('/')) {
      problems.push(`${where}: path must start with '/'`);
      continue;
    }
    const segments = route.path.split('/').slice(1);
    const params = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1));
    if (segments.some((s, i) => s === '' && i < segments.length - 1)) problems.push(`${where}: path has an empty segment`);
    if (segments.some((s) => s === '.' || s === '..' || /[?#%\\]/.test(s))) problems.push(`${where}: path has a dot segment or a character a request path cannot match (? # % \\)`);
    if (params.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) problems.push(`${where}: a :param must be a name (letters, digits, _)`);
    if (new Set(params).size !== params.length) problems.push(`${where}: a :param name appears twice`);
    if (route.access !== 'tenant' && route.access !== 'operator') problems.push(`${where}: access must be tenant or operator`);
    if (route.streaming !== undefined && !['none', 'ndjson', 'sse'].includes(route.streaming)) problems.push(`${where}: streaming must be none, ndjson or sse`);
    for (const hook of ROUTE_HOOKS) if (route[hook] !== undefined && typeof route[hook] !== 'function') problems.push(`${where}: ${hook} is not a function`);
    const shape = `${route.method} ${segments.map((s) => (s.startsWith(':') ? ':' : s)).join('/')}`;
    if (seen.has(shape)) problems.push(`${where}: declared twice (a later duplicate is never reached)`);
    seen.add(shape);
  }
  const upstreams = attempt('upstreams(options)', () => gateway.upstreams(options));
  if (upstreams !== undefined && (!Array.isArray(upstreams) || upstreams.some((u) => typeof u !== 'string' || !/^https?:\/\/[^/]/i.test(u)))) {
    problems.push('upstreams(options) must return http(s) URLs');
  }
  if (gateway.upstreamHeaders) {
    const headers = attempt('upstreamHeaders(options)', () => gateway.upstreamHeaders!(options));
    if (headers !== undefined && (typeof headers !== 'object' || headers === null || Object.values(headers).some((v) => typeof v !== 'string'))) {
      problems.push('upstreamHeaders(options) must return an object of strings');
    }
  }
  if (gateway.rateLimit !== undefined && typeof gateway.rateLimit !== 'function') problems.push('rateLimit is not a function');
  return problems;
}

/** Option names the plugin host treats as secrets even without `writeOnly`. */
const SECRET_NAME = /password|secret|token|key/i;

/** String values of options that are secrets: `writeOnly` in the schema, or named like one (as the host redacts them). */
function secretOptionValues(properties: Record<string, { writeOnly?: boolean }>, options: unknown): string[] {
  if (typeof options !== 'object' || options === null) return [];
  return Object.entries(options as Record<string, unknown>)
    .filter(([name]) => properties[name]?.writeOnly === true || SECRET_NAME.test(name))
    .map(([, value]) => value)
    .filter((value): value is string => typeof value === 'string');
}

function mask(secret: string): string {
  return `${secret.slice(0, 2)}…(${secret.length} chars)`;
}
