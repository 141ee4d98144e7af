import { GatewayAccessProvisioner, PermanentError, type Entitlements, type PluginContext } from '@werkbank/plugin-sdk';
import { baseUrl } from './searxng.client';
import { MONTHLY_QUERY_LIMIT, type SearxngOptions } from './manifest';

/**
 * An instance is a tenant's access to the shared SearXNG: a gateway key (scope
 * `gateway:searxng`, issued, rotated and revoked by the SDK's GatewayAccessProvisioner). Nothing
 * is created at SearXNG, which knows no tenants. The monthly query limit is the core's: it keeps
 * the tenant's hard quota of `searxng.queries` at the instance's `searxng.monthlyQueryLimit`, and
 * the gateway refuses searches beyond it. The core refuses the key while the instance is
 * suspended and revokes it when the instance is deprovisioned.
 */
export class SearxngProvisioner extends GatewayAccessProvisioner<SearxngOptions> {
  protected override checkEntitlements(entitlements: Entitlements): void {
    checkEntitlements(entitlements);
  }

  protected override endpoints(ctx: PluginContext<SearxngOptions>): Record<string, string> {
    return ctx.options.gatewayUrl ? { search: `${baseUrl(ctx.options.gatewayUrl)}/searxng/search` } : {};
  }
}

/** A limit the core could not turn into a quota is the operator's mistake: say so, do not retry. */
function checkEntitlements(entitlements: Entitlements): void {
  const limit = entitlements[MONTHLY_QUERY_LIMIT];
  if (limit === undefined) return;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    throw new PermanentError(`${MONTHLY_QUERY_LIMIT} must be a whole number of searches >= 0, got ${JSON.stringify(limit)}`, { code: 'searxng.invalid_entitlement' });
  }
}
