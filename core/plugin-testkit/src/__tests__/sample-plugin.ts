// An in-memory plugin for the testkit's own tests: correct by default, with switches that each
// break one rule of the contract, so the tests can show the suite catches it.
import { defineServicePlugin, errorForStatus, PermanentError, type InstanceRef, type ServicePlugin, type UsageRecord } from '@werkbank/plugin-sdk';
import { randomUUID } from 'node:crypto';

export interface SampleBugs {
  /** provision ignores the request key and creates a new resource every time */
  duplicateOnRetry?: boolean;
  /** provision creates a resource every time but answers with the first one's id */
  duplicateBehindSameId?: boolean;
  /** deprovision of something already gone throws */
  deprovisionFailsWhenGone?: boolean;
  /** failures are plain Errors instead of the SDK's typed errors */
  untypedErrors?: boolean;
  /** provision logs the credentials it returns */
  logsCredentials?: boolean;
  /** usage records get a new idempotency key on every collection */
  unstableUsageKeys?: boolean;
  /** usage is reported with a number quantity and a meter the manifest does not declare */
  sloppyUsage?: boolean;
  /** error messages carry the admin token */
  tokenInErrors?: boolean;
}

export interface SampleOptions {
  baseUrl: string;
  adminToken: string;
}

/** The "service": projects by id, request keys seen, usage per project, and an optional failure. */
export class SampleService {
  projects = new Map<string, { state: 'active' | 'suspended'; apiKey: string }>();
  byRequestKey = new Map<string, string>();
  usage = new Map<string, Array<{ id: string; at: string; requests: number }>>();
  failing?: number;

  reset(): void {
    this.projects.clear();
    this.byRequestKey.clear();
    this.usage.clear();
    this.failing = undefined;
  }

  maybeFail(bugs: SampleBugs, adminToken: string): void {
    if (this.failing === undefined) return;
    if (bugs.untypedErrors) throw new Error(`service answered ${this.failing}`);
    throw errorForStatus(this.failing, `sample service answered ${this.failing}${bugs.tokenInErrors ? ` (token ${adminToken})` : ''}`);
  }
}

export function samplePlugin(service: SampleService, bugs: SampleBugs = {}): ServicePlugin<SampleOptions> {
  const find = (ref: InstanceRef) => {
    const project = service.projects.get(ref.externalId);
    if (!project) throw new PermanentError(`project ${ref.externalId} not found`, { code: 'http_404' });
    return project;
  };
  return defineServicePlugin<SampleOptions>({
    manifest: {
      id: 'sample',
      version: '1.2.3',
      sdkCompatibility: '^1.0.0',
      displayName: 'Sample',
      description: 'An in-memory sample service',
      optionsSchema: {
        type: 'object',
        required: ['baseUrl', 'adminToken'],
        properties: { baseUrl: { type: 'string', format: 'uri' }, adminToken: { type: 'string', writeOnly: true } },
      },
      modes: ['shared'],
      meters: [{ key: 'sample.requests', unit: 'request', aggregation: 'sum', description: 'API requests' }],
      suggestedPrices: [{ meter: 'sample.requests', currency: 'EUR', unitPrice: '0.10', perQuantity: '1000', model: 'package', description: 'per 1000 requests' }],
      entitlementKeys: [{ key: 'sample.monthlyRequestLimit', type: 'integer', default: 10000, description: 'requests per month' }],
    },
    provisioner: {
      async provision(ctx, request) {
        service.maybeFail(bugs, ctx.options.adminToken);
        let id = bugs.duplicateOnRetry || bugs.duplicateBehindSameId ? undefined : service.byRequestKey.get(request.requestKey);
        if (!id) {
          id = `p-${randomUUID()}`;
          service.projects.set(id, { state: 'active', apiKey: `key-${randomUUID()}` });
          if (bugs.duplicateBehindSameId && service.byRequestKey.has(request.requestKey)) id = service.byRequestKey.get(request.requestKey)!;
          service.byRequestKey.set(request.requestKey, id);
        }
        const apiKey = service.projects.get(id)!.apiKey;
        ctx.logger.info('provisioned', bugs.logsCredentials ? { id, apiKey } : { id });
        return { externalId: id, endpoints: { api: `${ctx.options.baseUrl}/projects/${id}` }, credentials: { apiKey } };
      },
      async suspend(ctx, ref) {
        service.maybeFail(bugs, ctx.options.adminToken);
        find(ref).state = 'suspended';
      },
      async resume(ctx, ref) {
        service.maybeFail(bugs, ctx.options.adminToken);
        find(ref).state = 'active';
      },
      async deprovision(ctx, ref) {
        service.maybeFail(bugs, ctx.options.adminToken);
        if (!service.projects.delete(ref.externalId) && bugs.deprovisionFailsWhenGone) throw new PermanentError('not found');
      },
      async applyEntitlements(ctx, ref) {
        service.maybeFail(bugs, ctx.options.adminToken);
        find(ref);
      },
      async inspect(_ctx, ref) {
        const project = service.projects.get(ref.externalId);
        return { state: project ? project.state : 'missing' };
      },
    },
    usageCollector: {
      async *collect(ctx, ref, window) {
        service.maybeFail(bugs, ctx.options.adminToken);
        for (const item of service.usage.get(ref.externalId) ?? []) {
          const at = Date.parse(item.at);
          if (at < window.from.getTime() || at >= window.to.getTime()) continue;
          const record: UsageRecord = {
            meter: bugs.sloppyUsage ? 'requests' : 'sample.requests',
            quantity: bugs.sloppyUsage ? (item.requests as unknown as string) : String(item.requests),
            timestamp: item.at,
            idempotencyKey: bugs.unstableUsageKeys ? randomUUID() : `${ref.instanceId}:${item.id}`,
          };
          yield record;
        }
      },
    },
    health: {
      async check(_ctx, ref) {
        const checkedAt = new Date().toISOString();
        if (!ref) return { status: 'healthy', checkedAt };
        return service.projects.has(ref.externalId) ? { status: 'healthy', checkedAt } : { status: 'unhealthy', message: 'project not found', checkedAt };
      },
    },
  });
}

/** Suite options for the sample plugin against `service`. */
export function sampleSuite(service: SampleService, bugs: SampleBugs = {}) {
  return {
    plugin: samplePlugin(service, bugs),
    options: { baseUrl: 'http://sample.invalid', adminToken: 'sample-admin-token' },
    countResources: () => service.projects.size,
    resetUpstream: () => service.reset(),
    failWith: (status: number) => {
      service.failing = status;
    },
    usageSetup: (ref: InstanceRef, window: { from: Date; to: Date }) => {
      const inside = new Date(window.from.getTime() + 60_000).toISOString();
      service.usage.set(ref.externalId, [
        { id: 'u1', at: inside, requests: 3 },
        { id: 'u2', at: window.to.toISOString(), requests: 5 },
      ]);
    },
  };
}
