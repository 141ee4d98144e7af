import { satisfies } from 'semver';
import { PLUGIN_ID_PATTERN, pluginPackageName, SDK_VERSION } from '@werkbank/plugin-sdk';
import type { ServicePluginManifest } from '@werkbank/plugin-sdk';
import type { LoadedPlugin, PluginCandidate } from '../domain/loaded-plugin';
import { validateManifest } from '../domain/manifest.validator';
import { describeMeterOwner, MeterRegistry } from '../domain/meter-registry';
import { evaluateOptions } from '../domain/options.validator';
import { type Env, LEAVE_OUT_HINT, PLUGINS_VARIABLE, pluginIgnoreSdkRangeVariable, pluginOptionsVariable } from '../domain/plugin-env';
import { PluginLoadError, type PluginProblem } from '../domain/plugin-load.error';

export interface LoadPluginsInput {
  candidates: readonly PluginCandidate[];
  /** where `WERKBANK_PLUGIN_<ID>_OPTIONS` and `_IGNORE_SDK_RANGE` are read */
  env: Env;
  /** problems found before loading (discovery), reported together with the others */
  problems?: readonly PluginProblem[];
  /** the running SDK's version; tests pass another */
  sdkVersion?: string;
  /** meters already known (e.g. the operator's); the plugins' meters are checked against them */
  meters?: MeterRegistry;
}

export interface PluginLoadResult {
  plugins: LoadedPlugin[];
  meters: MeterRegistry;
  /** things the operator should know that do not stop start-up (logged at start) */
  warnings: string[];
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/**
 * Validates every candidate (manifest, identity, SDK range, options), registers meters and
 * prices, and throws one `PluginLoadError` listing every problem of every plugin.
 */
export function loadPlugins(input: LoadPluginsInput): PluginLoadResult {
  const sdkVersion = input.sdkVersion ?? SDK_VERSION;
  const meters = input.meters ?? new MeterRegistry();
  const problems: PluginProblem[] = [...(input.problems ?? [])];
  const warnings: string[] = [];
  const plugins: LoadedPlugin[] = [];
  const byId = new Map<string, string>();

  for (const { packageName, plugin, folder } of input.candidates) {
    const own: PluginProblem[] = [];
    const manifestValue: unknown = isObject(plugin) ? plugin.manifest : undefined;
    const rawId = isObject(manifestValue) ? manifestValue.id : undefined;
    const pluginId = typeof rawId === 'string' ? rawId : undefined;
    const report = (field: string, problem: string, fix: string) => own.push({ packageName, pluginId, field, problem, fix });

    if (!isObject(plugin) || !isObject(manifestValue)) {
      report('package', 'exports no plugin (expected `export default defineServicePlugin({ manifest, … })` or `export const plugin`)', `Ask the plugin's author for a working version, ${LEAVE_OUT_HINT}.`);
      problems.push(...own);
      continue;
    }
    const check = validateManifest(manifestValue);
    for (const issue of check.issues) report(issue.field, issue.problem, `The plugin's manifest is invalid: ask its author for a fixed version, ${LEAVE_OUT_HINT}.`);
    const manifest = manifestValue as unknown as ServicePluginManifest;
    const idValid = pluginId !== undefined && PLUGIN_ID_PATTERN.test(pluginId);

    if (idValid && packageName !== pluginPackageName(pluginId)) {
      report('manifest.id', `is "${pluginId}", but the package is ${packageName}: a plugin's id must equal its package name after "@werkbank/plugin-"`,
        `The plugin is broken: ask its author for a fixed version, ${LEAVE_OUT_HINT}.`);
    }
    if (idValid && folder !== undefined && folder !== pluginId) {
      report('manifest.id', `is "${pluginId}", but the plugin lives in plugins/${folder}: the folder must be named after the id`,
        `Rename the folder or the id so they match, ${LEAVE_OUT_HINT}.`);
    }
    if (idValid && byId.has(pluginId)) {
      report('manifest.id', `"${pluginId}" is also the id of ${byId.get(pluginId)}`, `Load only one of them (${PLUGINS_VARIABLE}).`);
    }

    const range = manifest.sdkCompatibility;
    const rangeValid = !check.issues.some((i) => i.field === 'manifest.sdkCompatibility');
    if (idValid && rangeValid && !satisfies(sdkVersion, range)) {
      const override = pluginIgnoreSdkRangeVariable(pluginId);
      if (input.env[override]?.trim().toLowerCase() === 'true') {
        warnings.push(`plugin "${pluginId}" (${packageName}) declares sdkCompatibility "${range}", which excludes the running plugin SDK ${sdkVersion}; loaded anyway because ${override}=true`);
      } else {
        report('manifest.sdkCompatibility', `"${range}" does not include the running plugin SDK ${sdkVersion}`,
          `Install a version of the plugin made for SDK ${sdkVersion}, or set ${override}=true to load it anyway at your own risk.`);
      }
    }

    let loaded: LoadedPlugin | undefined;
    if (idValid && check.optionsValidator) {
      const variable = pluginOptionsVariable(pluginId);
      const outcome = evaluateOptions(check.optionsValidator, manifest.optionsSchema, input.env[variable], variable);
      const base = { id: pluginId, packageName, version: manifest.version, manifest, plugin };
      if (outcome.kind === 'invalid') {
        for (const p of outcome.problems) report(p.field, p.problem, `Correct ${variable}: a JSON object that matches the plugin's options schema.`);
      } else if (outcome.kind === 'not_configured') {
        loaded = { ...base, status: 'not_configured', options: deepFreeze(outcome.options), configurationProblem: outcome.problem };
      } else {
        loaded = { ...base, status: 'ready', options: deepFreeze(outcome.options) };
      }
    }

    if (own.length === 0 && loaded) {
      const conflicts = meters.declare({ kind: 'plugin', pluginId: loaded.id }, manifest.meters);
      for (const c of conflicts) {
        report(`manifest.meters[${c.index}].${c.property}`, `of meter "${c.key}" is "${c.incoming}", but ${describeMeterOwner(c.existingOwner)} registered it with ${c.property} "${c.existing}"`,
          c.existingOwner.kind === 'plugin'
            ? `A meter key must mean one quantity: load only one of these plugins (${PLUGINS_VARIABLE}).`
            : `A meter key must mean one quantity: change the operator's meter, ${LEAVE_OUT_HINT}.`);
      }
    }
    if (own.length === 0 && loaded) {
      meters.suggestPrices(loaded.id, manifest.suggestedPrices ?? []);
      plugins.push(Object.freeze(loaded));
      byId.set(loaded.id, packageName);
    }
    problems.push(...own);
  }

  if (problems.length > 0) throw new PluginLoadError(problems);
  return { plugins, meters, warnings };
}
