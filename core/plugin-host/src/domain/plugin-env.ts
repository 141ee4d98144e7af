/** Comma-separated package names of the plugins to load (default: the workspace's first-party plugins). */
export const PLUGINS_VARIABLE = 'WERKBANK_PLUGINS';

/** `WERKBANK_PLUGIN_<ID>_`: the id upper-cased, dashes as underscores (`web-search` -> `WEB_SEARCH`). */
function pluginVariablePrefix(pluginId: string): string {
  return `WERKBANK_PLUGIN_${pluginId.toUpperCase().replace(/-/g, '_')}_`;
}

/** The operator's options for one plugin, as JSON. */
export function pluginOptionsVariable(pluginId: string): string {
  return `${pluginVariablePrefix(pluginId)}OPTIONS`;
}

/** `true` loads the plugin even when its `sdkCompatibility` excludes the running SDK. */
export function pluginIgnoreSdkRangeVariable(pluginId: string): string {
  return `${pluginVariablePrefix(pluginId)}IGNORE_SDK_RANGE`;
}

export type Env = Record<string, string | undefined>;

/** The end of most fix hints: the operator can always run without the plugin. */
export const LEAVE_OUT_HINT = `or leave it out of ${PLUGINS_VARIABLE}`;
