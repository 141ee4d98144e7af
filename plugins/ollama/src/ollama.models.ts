import type { Entitlements, GatewayTenant } from '@werkbank/plugin-sdk';
import { DEFAULT_MODEL_TIERS, ENTITLEMENTS, TIERS, type OllamaOptions, type Tier } from './manifest';

const DEFAULT_HOST = 'registry.ollama.ai';
const DEFAULT_NAMESPACE = 'library';

/**
 * A model name in the one form Ollama resolves it to, so that every spelling of a model meets
 * the same tier: `llama3.2`, `llama3.2:latest`, `library/llama3.2` and
 * `registry.ollama.ai/library/llama3.2:latest` are one model (names are case-insensitive).
 * The short form drops the default host and namespace: `llama3.2:latest`.
 */
export function canonicalModel(name: string): { full: string; short: string } {
  const lower = name.trim().toLowerCase();
  const colon = lower.lastIndexOf(':');
  // a colon before the last slash belongs to a host (registry:5000/ns/model), not to a tag
  const hasTag = colon > lower.lastIndexOf('/');
  const path = hasTag ? lower.slice(0, colon) : lower;
  const tag = hasTag ? lower.slice(colon + 1) : 'latest';
  const parts = path.split('/');
  const model = parts.pop() ?? '';
  const namespace = parts.pop() ?? DEFAULT_NAMESPACE;
  const host = parts.length ? parts.join('/') : DEFAULT_HOST;
  const full = `${host}/${namespace}/${model}:${tag}`;
  const short = `${host === DEFAULT_HOST ? '' : `${host}/`}${host === DEFAULT_HOST && namespace === DEFAULT_NAMESPACE ? '' : `${namespace}/`}${model}:${tag}`;
  return { full, short };
}

/** What the gateway knows about a model a request names. */
export interface ModelInfo {
  /** the short canonical name: the `model` dimension of usage */
  model: string;
  /** the model's tier; undefined: not listed and unlisted models are refused */
  tier?: Tier;
}

/** The operator's tier map, compiled once from the options. */
export class ModelTiers {
  private readonly tiers = new Map<string, Tier>();
  private readonly unlisted?: Tier;

  constructor(options: Pick<OllamaOptions, 'models' | 'unlistedModels'>) {
    for (const [name, tier] of Object.entries(options.models ?? {})) this.tiers.set(canonicalModel(name).full, tier);
    const unlisted = options.unlistedModels ?? 'refuse';
    this.unlisted = unlisted === 'refuse' ? undefined : unlisted;
  }

  info(name: string): ModelInfo {
    const { full, short } = canonicalModel(name);
    return { model: short, tier: this.tiers.get(full) ?? this.unlisted };
  }

  /** Whether `tenant` may use the model `name`: the operator may use every model, tenants the tiers of their plan. */
  allows(name: string, tenant: GatewayTenant): boolean {
    if (tenant.kind === 'operator') return true;
    const { tier } = this.info(name);
    return tier !== undefined && allowedTiers(tenant.entitlements).includes(tier);
  }
}

/** The tiers an instance's entitlements allow (the declared default when the plan sets none). */
export function allowedTiers(entitlements: Entitlements): Tier[] {
  const value = entitlements[ENTITLEMENTS.modelTiers];
  if (!Array.isArray(value)) return DEFAULT_MODEL_TIERS;
  return TIERS.filter((tier) => value.includes(tier));
}
