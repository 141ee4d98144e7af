import { manifestIssues, SDK_VERSION, type ManifestIssue, type ServicePluginManifest } from '@werkbank/plugin-sdk';
import { satisfies as semverSatisfies } from 'semver';

/** Which part of the manifest a problem is in; the contract suite has one test per area. */
export type ManifestArea = 'identity' | 'sdkCompatibility' | 'options' | 'modes' | 'meters' | 'prices' | 'entitlements';

export interface ManifestProblem {
  area: ManifestArea;
  message: string;
}

/** The area of each top-level manifest field the SDK reports issues under (anything else: identity). */
const AREAS: Record<string, ManifestArea> = {
  sdkCompatibility: 'sdkCompatibility',
  optionsSchema: 'options',
  instanceOptionsSchema: 'options',
  modes: 'modes',
  meters: 'meters',
  suggestedPrices: 'prices',
  entitlementKeys: 'entitlements',
};

function areaOf(issue: ManifestIssue): ManifestArea {
  const topLevel = /^manifest\.([A-Za-z]+)/.exec(issue.field)?.[1];
  return (topLevel !== undefined && AREAS[topLevel]) || 'identity';
}

/**
 * Everything wrong with a manifest, by area; empty when it is valid. The rules are the SDK's
 * `manifestIssues`, the ones the plugin host checks at load, so a plugin that passes here loads
 * there (the host additionally compiles the options schemas with Ajv). Added here: the range in
 * `sdkCompatibility` must cover the SDK the tests run with.
 */
export function manifestProblems(manifest: ServicePluginManifest): ManifestProblem[] {
  const issues = manifestIssues(manifest);
  const problems = issues.map((issue): ManifestProblem => ({ area: areaOf(issue), message: `${issue.field} ${issue.problem}` }));
  const range = manifest.sdkCompatibility;
  if (!issues.some((i) => i.field === 'manifest.sdkCompatibility') && !semverSatisfies(SDK_VERSION, range)) {
    problems.push({ area: 'sdkCompatibility', message: `sdkCompatibility '${range}' does not cover the current @werkbank/plugin-sdk ${SDK_VERSION}` });
  }
  return problems;
}

/** The declared defaults of every entitlement key that has one: what applies when no plan sets a value. */
export function defaultEntitlements(manifest: ServicePluginManifest): Record<string, boolean | number | string | string[]> {
  const entitlements: Record<string, boolean | number | string | string[]> = {};
  for (const entitlement of manifest.entitlementKeys ?? []) {
    if (entitlement.default !== undefined) entitlements[entitlement.key] = entitlement.default;
  }
  return entitlements;
}
