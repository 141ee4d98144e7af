import type { JsonSchema } from '@werkbank/plugin-sdk';

/** Option names that hold credentials even when the schema does not say `writeOnly`. */
const SECRET_NAME = /password|secret|token|key/i;
/** Shorter values would redact ordinary words and digits all over a log line. */
const MIN_REDACTED_LENGTH = 4;
export const REDACTED = '[redacted]';

export type PathSegment = string | number;

export function isSecretName(name: PathSegment): boolean {
  return typeof name === 'string' && SECRET_NAME.test(name);
}

/** The sub-schema that describes the value at `path` (following properties and items). */
function childSchema(schema: JsonSchema | undefined, segment: PathSegment): JsonSchema | undefined {
  if (!schema) return undefined;
  if (typeof segment === 'number') return schema.items;
  if (schema.properties?.[segment]) return schema.properties[segment];
  return typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
}

/** True when the value at `path` (or anything above it) is a secret by name or `writeOnly`. */
export function isSecretPath(schema: JsonSchema | undefined, path: PathSegment[]): boolean {
  let node = schema;
  if (node?.writeOnly) return true;
  for (const segment of path) {
    if (isSecretName(segment)) return true;
    node = childSchema(node, segment);
    if (node?.writeOnly) return true;
  }
  return false;
}

/** Every string value in `options` that is a secret, so log lines and messages can hide it. */
export function collectSecretValues(schema: JsonSchema | undefined, options: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, node: JsonSchema | undefined, secret: boolean): void => {
    if (typeof value === 'string') {
      if (secret && value.length >= MIN_REDACTED_LENGTH) found.add(value);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, childSchema(node, index), secret || Boolean(childSchema(node, index)?.writeOnly)));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const child = childSchema(node, key);
        walk(item, child, secret || isSecretName(key) || Boolean(child?.writeOnly));
      }
    }
  };
  walk(options, schema, Boolean(schema?.writeOnly));
  // longest first, so a secret that contains another is replaced whole
  return [...found].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of a secret value in `text`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(REDACTED);
  return result;
}

/** A copy of log fields with secret-named keys masked and secret values replaced. */
export function redactFields(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactText(value, secrets);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message, secrets) };
  if (Array.isArray(value)) return value.map((item) => redactFields(item, secrets, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = isSecretName(key) && item !== undefined && item !== null ? REDACTED : redactFields(item, secrets, depth + 1);
  }
  return copy;
}
