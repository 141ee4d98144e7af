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
