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
export class GatewayAccessProvisioner<Options = Record<string, unknown>> implements ServiceProvisioner<Options> {
  async provision(ctx: PluginContext<Options>, request: ProvisionRequest): Promise<ProvisionResult> {
    this.checkEntitlements(request.entitlements);
    // issuing again (a retried provision) revokes the earlier key: exactly one stays valid
    const issued = await ctx.gatewayKeys.issue({ instanceId: request.instanceId, tenantId: request.tenant.id });
    ctx.logger.info('gateway key issued', { instanceId: request.instanceId, keyId: issued.keyId, attempt: request.attempt });
    return {
      externalId: this.externalId(ctx, request),
      endpoints: this.endpoints(ctx, request),
      // stored encrypted by the core and shown to the tenant once; never logged
      credentials: { apiKey: issued.key },
      metadata: { keyId: issued.keyId },
    };
  }

  async suspend(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void> {
    ctx.logger.info('instance suspended; the gateway refuses its key', { instanceId: ref.instanceId });
  }

  async resume(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void> {
    ctx.logger.info('instance resumed; the gateway accepts its key again', { instanceId: ref.instanceId });
  }

  async deprovision(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<void> {
    await ctx.gatewayKeys.revoke(ref.instanceId);
    ctx.logger.info('gateway key revoked', { instanceId: ref.instanceId });
  }

  async applyEntitlements(_ctx: PluginContext<Options>, _ref: InstanceRef, entitlements: Entitlements, _meta: RequestMeta): Promise<void> {
    // the gateway reads the instance's entitlements with its key (and the core keeps quota entitlements); here they are only checked
    this.checkEntitlements(entitlements);
  }

  async rotateCredentials(ctx: PluginContext<Options>, ref: InstanceRef, _meta: RequestMeta): Promise<Record<string, string>> {
    const issued = await ctx.gatewayKeys.issue({ instanceId: ref.instanceId, tenantId: ref.tenant.id });
    ctx.logger.info('gateway key rotated', { instanceId: ref.instanceId, keyId: issued.keyId });
    return { apiKey: issued.key };
  }

  /** Throws a `PermanentError` for entitlement values the service cannot honour (a wrong plan is the operator's to fix). */
  protected checkEntitlements(_entitlements: Entitlements): void {}

  /** Where the tenant calls (e.g. `{ api: '<public gateway URL>/<plugin id>' }`); none by default. */
  protected endpoints(_ctx: PluginContext<Options>, _request: ProvisionRequest): Record<string, string> {
    return {};
  }

  /** Stable per instance, so a retried provision returns the same one: `<plugin id>-<instance id>`. */
  protected externalId(ctx: PluginContext<Options>, request: ProvisionRequest): string {
    return `${ctx.pluginId}-${request.instanceId}`;
  }
}
