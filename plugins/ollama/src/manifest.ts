import type { ServicePluginManifest } from '@werkbank/plugin-sdk';

/** The model tiers a tier map assigns; a plan unlocks tiers through `ollama.modelTiers`. */
export const TIERS = ['standard', 'pro'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * The operator's configuration of this plugin: the JSON in WERKBANK_PLUGIN_OLLAMA_OPTIONS,
 * validated by the plugin host against `manifest.optionsSchema` before any call.
 */
export interface OllamaOptions {
  /** base URLs of the Ollama nodes (GPU servers) the gateway spreads requests over */
  upstreams: string[];
  /** the public URL of the Werkbank gateway, for the endpoints shown to tenants */
  gatewayUrl: string;
  /** model name -> tier, e.g. { "llama3.2": "standard", "llama3.1:70b": "pro" } */
  models: Record<string, Tier>;
  /** what a model missing from `models` is: refused (default) or billed as one of the tiers */
  unlistedModels?: 'refuse' | Tier;
}

export const METERS = {
  gpuSeconds: 'ollama.gpu_seconds',
  promptTokens: 'ollama.tokens.prompt',
  completionTokens: 'ollama.tokens.completion',
  requests: 'ollama.requests',
} as const;

export const ENTITLEMENTS = {
  modelTiers: 'ollama.modelTiers',
  requestsPerMinute: 'ollama.requestsPerMinute',
} as const;

/** http(s), without user info: the gateway cannot send credentials in a node URL */
export const NODE_URL_PATTERN = '^https?://[^/@]+(/[^@]*)?$';

export const DEFAULT_MODEL_TIERS: Tier[] = ['standard'];

export const manifest: ServicePluginManifest = {
  id: 'ollama',
  version: '1.0.0',
  sdkCompatibility: '^1.2.0',
  displayName: 'Ollama',
  description: 'LLM inference on a shared pool of Ollama GPU nodes, through the metering gateway (native and OpenAI-compatible API).',
  optionsSchema: {
    type: 'object',
    required: ['upstreams', 'gatewayUrl', 'models'],
    additionalProperties: false,
    properties: {
      upstreams: {
        type: 'array',
        minItems: 1,
        items: { type: 'string', format: 'uri', pattern: NODE_URL_PATTERN },
        description: 'Base URLs of the Ollama nodes, e.g. ["http://gpu-1:11434", "http://gpu-2:11434"] (no user:password@); the gateway sends each request to the node with the fewest in flight and skips nodes that fail',
      },
      gatewayUrl: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        description: 'Public URL of the Werkbank gateway (GATEWAY_PORT), e.g. https://gateway.example.com; tenants are shown <gatewayUrl>/ollama',
      },
      models: {
        type: 'object',
        additionalProperties: { type: 'string', enum: [...TIERS] },
        description: 'The tier of each model offered, e.g. {"llama3.2": "standard", "llama3.1:70b": "pro"}; names as Ollama takes them (a missing tag is "latest")',
      },
      unlistedModels: {
        type: 'string',
        enum: ['refuse', ...TIERS],
        default: 'refuse',
        description: 'Models missing from `models`: "refuse" (default; tenants can neither use nor list them) or the tier they count as',
      },
    },
  },
  modes: ['shared'],
  meters: [
    { key: METERS.gpuSeconds, unit: 'second', aggregation: 'sum', dimensions: ['model'], description: 'GPU time: total_duration of native answers, the upstream time of OpenAI-compatible ones' },
    { key: METERS.promptTokens, unit: 'token', aggregation: 'sum', dimensions: ['model', 'tier'], description: 'Prompt tokens the model evaluated (prompt_eval_count, usage.prompt_tokens)' },
    { key: METERS.completionTokens, unit: 'token', aggregation: 'sum', dimensions: ['model', 'tier'], description: 'Tokens the model generated (eval_count, usage.completion_tokens)' },
    { key: METERS.requests, unit: 'request', aggregation: 'count', dimensions: ['model'], description: 'Inference requests the models answered (chat, generate, completions, embeddings)' },
  ],
  suggestedPrices: [
    {
      meter: METERS.gpuSeconds,
      currency: 'EUR',
      unitPrice: '0.20',
      perQuantity: '3600',
      model: 'per_unit',
      description: '0.20 EUR per hour of GPU time, pro rata',
    },
    ...([METERS.promptTokens, METERS.completionTokens] as const).map((meter) => ({
      meter,
      currency: 'EUR',
      unitPrice: '0.20',
      perQuantity: '10000',
      model: 'per_unit' as const,
      dimensions: { tier: 'pro' },
      description: `0.20 EUR per 10,000 pro-tier ${meter === METERS.promptTokens ? 'prompt' : 'completion'} tokens (the Pro-Pack includes 10,000 a month)`,
    })),
  ],
  entitlementKeys: [
    {
      key: ENTITLEMENTS.modelTiers,
      type: 'string[]',
      values: [...TIERS],
      default: DEFAULT_MODEL_TIERS,
      description: 'Model tiers the tenant may use; "pro" comes with the Pro-Pack',
    },
    {
      key: ENTITLEMENTS.requestsPerMinute,
      type: 'integer',
      description: "Requests per minute per gateway key; without a value the gateway's default rate limit applies",
    },
  ],
};
