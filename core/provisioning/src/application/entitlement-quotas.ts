import { Injectable, Logger, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Tx } from '@werkbank/kernel';
import type { Entitlements, EntitlementKeyDefinition, ServicePluginManifest } from '@werkbank/plugin-sdk';

/**
 * Where a service instance's quota entitlements go: provided by metering (which owns quotas and
 * depends on provisioning, so provisioning finds it through this token instead of importing it).
 */
export const ENTITLEMENT_QUOTAS = Symbol('ENTITLEMENT_QUOTAS');

export interface EntitlementQuota {
  meter: string;
  limit: 'hard' | 'soft';
  /** decimal string; null when the entitlement was removed: that limit is lifted */
  value: string | null;
}

export interface EntitlementQuotaSink {
  /** sets (or lifts) these limits of the tenant's monthly quotas (in the caller's transaction), keeping the other limit of each */
  apply(tx: Tx, tenantId: string, quotas: readonly EntitlementQuota[]): Promise<void>;
}

function quotaValue(value: Entitlements[string] | undefined): string | undefined {
  const fits = (typeof value === 'number' && Number.isFinite(value) && value >= 0) || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value));
  return fits ? String(value) : undefined;
}

/**
 * The quotas the manifest ties to entitlements (`EntitlementKeyDefinition.quota`), with the
 * instance's values; with `previous`, a quota entitlement that had a value there and has none now
 * comes with `value: null` (its limit is lifted).
 */
export function entitlementQuotas(manifest: ServicePluginManifest, entitlements: Entitlements, previous?: Entitlements): EntitlementQuota[] {
  const quotas: EntitlementQuota[] = [];
  for (const key of manifest.entitlementKeys ?? []) {
    if (!key.quota) continue;
    const value = quotaValue(entitlements[key.key]);
    if (value !== undefined) quotas.push({ meter: key.quota.meter, limit: key.quota.limit, value });
    else if (previous && quotaValue(previous[key.key]) !== undefined) quotas.push({ meter: key.quota.meter, limit: key.quota.limit, value: null });
  }
  return quotas;
}

/** Why `value` does not fit the entitlement key's type; undefined when it does. */
export function entitlementValueProblem(key: EntitlementKeyDefinition, value: unknown): string | undefined {
  switch (key.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'decimal':
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? undefined : 'must be a decimal string, e.g. "0.5"';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'enum':
      return typeof value === 'string' && (key.values ?? []).includes(value) ? undefined : `must be one of ${(key.values ?? []).join(', ')}`;
    case 'string[]':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return 'must be an array of strings';
      if (key.values && value.some((v) => !key.values!.includes(v))) return `may only contain ${key.values.join(', ')}`;
      return undefined;
    default:
      return 'has a type this core does not know';
  }
}

/** Keeps the tenant's quotas in step with an instance's quota entitlements. */
@Injectable()
export class EntitlementQuotaSync {
  private readonly logger = new Logger('Provisioning');
  private sink?: EntitlementQuotaSink | null;

  constructor(@Optional() private readonly moduleRef?: ModuleRef) {}

  /** `previous`: the instance's entitlements before this change (a removed quota entitlement lifts its limit). */
  async apply(tx: Tx, tenantId: string, manifest: ServicePluginManifest, entitlements: Entitlements, previous?: Entitlements): Promise<void> {
    const quotas = entitlementQuotas(manifest, entitlements, previous);
    if (!quotas.length) return;
    const sink = this.findSink();
    if (!sink) {
      this.logger.warn({ msg: 'quota entitlements cannot be applied in this process (metering is not loaded)', plugin: manifest.id, tenantId });
      return;
    }
    await sink.apply(tx, tenantId, quotas);
  }

  private findSink(): EntitlementQuotaSink | null {
    if (this.sink === undefined) {
      try {
        this.sink = this.moduleRef?.get<EntitlementQuotaSink>(ENTITLEMENT_QUOTAS, { strict: false }) ?? null;
      } catch {
        this.sink = null;
      }
    }
    return this.sink;
  }
}
