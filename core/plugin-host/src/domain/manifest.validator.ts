import { manifestIssues, type JsonSchema, type ManifestIssue } from '@werkbank/plugin-sdk';
import { compileOptionsSchema, type OptionsValidator } from './options.validator';

export type { ManifestIssue } from '@werkbank/plugin-sdk';

export interface ManifestCheck {
  issues: ManifestIssue[];
  /** the compiled `optionsSchema`, when it compiled */
  optionsValidator?: OptionsValidator;
}

/**
 * Checks everything the host relies on before running any of the plugin's code: the SDK's
 * structural rules (`manifestIssues`: identity format, versions, schema shapes, meters, prices,
 * entitlement keys, modes), then compiles the options schemas with Ajv (strict mode, the
 * supported formats). Identity against the package and folder, and SDK compatibility, are the
 * loader's (they need the environment).
 */
export function validateManifest(manifest: unknown): ManifestCheck {
  const issues = manifestIssues(manifest);
  if (manifest === null || typeof manifest !== 'object') return { issues };
  const { optionsSchema, instanceOptionsSchema } = manifest as Record<string, unknown>;
  const optionsValidator = compileSchema(optionsSchema, 'manifest.optionsSchema', issues);
  compileSchema(instanceOptionsSchema, 'manifest.instanceOptionsSchema', issues);
  return { issues, optionsValidator };
}

/** Compiles a schema whose shape the SDK found no fault with; a compile error becomes an issue. */
function compileSchema(schema: unknown, field: string, issues: ManifestIssue[]): OptionsValidator | undefined {
  if (schema === undefined) return undefined;
  if (issues.some((i) => i.field === field || i.field.startsWith(`${field}.`) || i.field.startsWith(`${field}[`))) return undefined;
  try {
    return compileOptionsSchema(schema as JsonSchema);
  } catch (error) {
    issues.push({ field, problem: `is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}
