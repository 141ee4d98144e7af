import { GatewayAccessProvisioner, PermanentError, type Entitlements, type PluginContext } from '@werkbank/plugin-sdk';
import { ENTITLEMENTS, TIERS, type OllamaOptions } from './manifest';

/**
 * An instance is a tenant's access to the shared GPU pool: a gateway key (scope
 * `gateway:ollama`, issued, rotated and revoked by the SDK's GatewayAccessProvisioner) and the
 * entitlements the gateway reads on every request (model tiers, requests per minute). Nothing is
 * created at Ollama itself. The core refuses the key while the instance is suspended and revokes
 * it when the instance is deprovisioned.
 */
export class OllamaProvisioner extends GatewayAccessProvisioner<OllamaOptions> {
  protected override checkEntitlements(entitlements: Entitlements): void {
    checkEntitlements(entitlements);
  }

  protected override endpoints(ctx: PluginContext<OllamaOptions>): Record<string, string> {
    return endpoints(ctx.options.gatewayUrl);
  }
}

/** Where tenants call: the native API and the OpenAI-compatible one, both behind the gateway. */
export function endpoints(gatewayUrl: string): Record<string, string> {
  const base = `${gatewayUrl.replace(/\/+$/, '')}/ollama`;
  return { api: base, openai: `${base}/v1` };
}

/** Entitlements a plan sets for this service must make sense; a wrong plan is the operator's to fix. */
export function checkEntitlements(entitlements: Entitlements): void {
  const tiers = entitlements[ENTITLEMENTS.modelTiers];
  if (tiers !== undefined) {
    const unknown = Array.isArray(tiers) ? tiers.filter((t) => !(TIERS as readonly string[]).includes(t)) : [tiers];
    if (!Array.isArray(tiers) || unknown.length) {
      throw new PermanentError(`${ENTITLEMENTS.modelTiers} must list tiers out of ${TIERS.join(', ')}; got ${JSON.stringify(tiers)}`, { code: 'ollama.invalid_entitlement' });
    }
  }
  const rpm = entitlements[ENTITLEMENTS.requestsPerMinute];
  if (rpm !== undefined && !(typeof rpm === 'number' && Number.isSafeInteger(rpm) && rpm > 0)) {
    throw new PermanentError(`${ENTITLEMENTS.requestsPerMinute} must be a whole number above 0; got ${JSON.stringify(rpm)}`, { code: 'ollama.invalid_entitlement' });
  }
}
