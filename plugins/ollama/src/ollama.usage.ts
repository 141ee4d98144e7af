import type { ExtractedUsage, GatewayExchange } from '@werkbank/plugin-sdk';
import { METERS } from './manifest';
import type { ModelTiers } from './ollama.models';

/** How a route's answer reports usage. */
export type UsageFormat =
  /** /api/chat, /api/generate: the final message (`done: true`) has counts and `total_duration` */
  | 'native'
  /** /api/embed: one answer with `prompt_eval_count` and `total_duration` */
  | 'native-embed'
  /** /api/embeddings (superseded): Ollama reports neither counts nor durations */
  | 'native-embeddings'
  /** /v1/chat/completions, /v1/completions, /v1/embeddings: `usage` (in the last chunk when streamed) */
  | 'openai';

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A count or duration Ollama reports: a non-negative whole number; omitted (or anything else) is 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** Nanoseconds as exact decimal seconds: 1500000000 -> '1.5', 5 -> '0.000000005'. */
export function nanosecondsToSeconds(ns: number): string {
  const digits = String(ns).padStart(10, '0');
  const whole = digits.slice(0, -9).replace(/^0+(?=\d)/, '');
  const fraction = digits.slice(-9).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** The gateway's measured upstream time (ms, fractional) as decimal seconds, to the microsecond. */
export function millisecondsToSeconds(ms: number): string {
  return nanosecondsToSeconds(Math.max(0, Math.round(ms * 1000)) * 1000);
}

/**
 * The usage of one exchange: one `ollama.requests` per answered inference request (2xx), its
 * prompt and completion tokens (`model`, `tier`) and GPU seconds (`model`). Quantities that are
 * zero are not recorded (Ollama omits zero counts too).
 */
export function extractUsage(format: UsageFormat, exchange: GatewayExchange, tiers: ModelTiers): ExtractedUsage[] {
  if (exchange.status < 200 || exchange.status >= 300) return [];
  const body = isObject(exchange.requestBody) ? exchange.requestBody : {};
  const requested = typeof body.model === 'string' ? body.model : typeof body.name === 'string' ? body.name : '';
  const info = tiers.info(requested);
  const model = info.model;
  const tier = info.tier ?? 'unlisted';

  let prompt = 0;
  let completion = 0;
  let gpu: string | undefined;
  const measured = () => millisecondsToSeconds(exchange.upstreamMs);
  const messages = exchange.responseMessages.filter(isObject);
  switch (format) {
    case 'native': {
      const final = messages.findLast((m) => m.done === true);
      if (final) {
        prompt = count(final.prompt_eval_count);
        completion = count(final.eval_count);
        const ns = count(final.total_duration);
        if (ns > 0) gpu = nanosecondsToSeconds(ns);
      } else {
        // the stream ended before Ollama's final message (the client left): the GPU worked until then
        gpu = measured();
      }
      break;
    }
    case 'native-embed': {
      const answer = messages.at(-1);
      if (answer) {
        prompt = count(answer.prompt_eval_count);
        const ns = count(answer.total_duration);
        if (ns > 0) gpu = nanosecondsToSeconds(ns);
      } else {
        gpu = measured();
      }
      break;
    }
    case 'native-embeddings':
      gpu = measured();
      break;
    case 'openai': {
      const usage = messages.findLast((m) => isObject(m.usage))?.usage as Obj | undefined;
      prompt = count(usage?.prompt_tokens);
      completion = count(usage?.completion_tokens);
      // Ollama reports no durations here: the time from request to last byte stands for GPU time
      gpu = measured();
      break;
    }
  }

  const usage: ExtractedUsage[] = [{ meter: METERS.requests, quantity: '1', properties: { model } }];
  if (prompt > 0) usage.push({ meter: METERS.promptTokens, quantity: String(prompt), properties: { model, tier } });
  if (completion > 0) usage.push({ meter: METERS.completionTokens, quantity: String(completion), properties: { model, tier } });
  if (gpu !== undefined && gpu !== '0') usage.push({ meter: METERS.gpuSeconds, quantity: gpu, properties: { model } });
  return usage;
}
