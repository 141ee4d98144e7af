import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { PLUGIN_ID_PATTERN, pluginPackageName } from '@werkbank/plugin-sdk';
import type { ServicePlugin } from '@werkbank/plugin-sdk';
import type { PluginCandidate } from '../domain/loaded-plugin';
import { type Env, LEAVE_OUT_HINT, PLUGINS_VARIABLE } from '../domain/plugin-env';
import type { PluginProblem } from '../domain/plugin-load.error';

/** A package under `plugins/` of the repository. */
export interface WorkspacePlugin {
  packageName: string;
  folder: string;
  dir: string;
}

export interface DiscoverPluginsInput {
  env: Env;
  /** the repository root (default: found upwards from this file, in src/ and in dist/ alike; null: none) */
  repoRoot?: string | null;
  /** load first-party plugins from `src/index.ts` rather than their build (default: when this file runs from source, i.e. under Jest) */
  preferSources?: boolean;
  /** a package name to its entry file (default: Node's resolution from the repository root, which honours NODE_PATH) */
  resolvePackage?: (packageName: string) => string;
}

export interface DiscoveryResult {
  candidates: PluginCandidate[];
  problems: PluginProblem[];
}

/** The nearest directory upwards whose package.json declares npm workspaces. */
export function findRepoRoot(start: string = __dirname): string | null {
  let dir = resolve(start);
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { workspaces?: unknown };
      if (Array.isArray(manifest.workspaces)) return dir;
    } catch {
      // no package.json here, or not ours: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** Every `plugins/*` folder with a package.json, sorted by folder. */
export function listWorkspacePlugins(repoRoot: string): WorkspacePlugin[] {
  const root = join(repoRoot, 'plugins');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .flatMap((folder) => {
      const dir = join(root, folder);
      try {
        const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
        return typeof name === 'string' ? [{ packageName: name, folder, dir }] : [];
      } catch {
        return [];
      }
    });
}

class NotBuilt extends Error {
  constructor(readonly entry: string) {
    super(`${entry} is missing`);
  }
}

function workspaceEntry(plugin: WorkspacePlugin, preferSources: boolean): string {
  const source = join(plugin.dir, 'src', 'index.ts');
  if (preferSources && existsSync(source)) return source;
  const { main } = JSON.parse(readFileSync(join(plugin.dir, 'package.json'), 'utf8')) as { main?: unknown };
  const entry = join(plugin.dir, typeof main === 'string' ? main : 'index.js');
  if (!existsSync(entry)) throw new NotBuilt(entry);
  return entry;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * Finds and loads the plugin packages: those named in WERKBANK_PLUGINS, or by default every
 * first-party plugin in `plugins/<folder>` whose package is `@werkbank/plugin-<folder>`.
 * Loading runs the package's code (CommonJS, `require`); nothing is validated here.
 */
export function discoverPlugins(input: DiscoverPluginsInput): DiscoveryResult {
  const repoRoot = input.repoRoot === undefined ? findRepoRoot() : input.repoRoot;
  const preferSources = input.preferSources ?? __filename.endsWith('.ts');
  const resolvePackage = input.resolvePackage ?? ((name: string) => createRequire(join(repoRoot ?? __dirname, 'package.json')).resolve(name));
  const workspace = repoRoot ? listWorkspacePlugins(repoRoot) : [];

  const listed = input.env[PLUGINS_VARIABLE]?.trim();
  const names = listed
    ? [...new Set(listed.split(',').map((name) => name.trim()).filter((name) => name && name !== 'none'))]
    : workspace.filter((w) => w.packageName === pluginPackageName(w.folder)).map((w) => w.packageName);

  const candidates: PluginCandidate[] = [];
  const problems: PluginProblem[] = [];
  for (const packageName of names) {
    const report = (field: string, problem: string, fix: string) => problems.push({ packageName, field, problem, fix });
    const id = /^@werkbank\/plugin-(.+)$/.exec(packageName)?.[1];
    if (!id || !PLUGIN_ID_PATTERN.test(id)) {
      report('package name', 'is not a plugin package name (plugins are named @werkbank/plugin-<id>, the id in kebab-case)', `Correct ${PLUGINS_VARIABLE}.`);
      continue;
    }
    const local = workspace.find((w) => w.packageName === packageName);
    let entry: string;
    try {
      entry = local ? workspaceEntry(local, preferSources) : resolvePackage(packageName);
    } catch (error) {
      if (error instanceof NotBuilt) {
        report('package', `is not built (${relative(repoRoot ?? '.', error.entry)} is missing)`, `Build it with \`npx tsc -b plugins/${local!.folder}\`, ${LEAVE_OUT_HINT}.`);
      } else {
        report('package', 'cannot be found', `Install it next to Werkbank (npm install ${packageName}) or put its folder on NODE_PATH, ${LEAVE_OUT_HINT}.`);
      }
      continue;
    }
    let exported: { default?: ServicePlugin; plugin?: ServicePlugin };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- plugins are CommonJS packages chosen by configuration at run time
      exported = require(entry);
    } catch (error) {
      report('package', `failed to load: ${firstLine(error)}`, `Check the plugin's installation and dependencies, ${LEAVE_OUT_HINT}.`);
      continue;
    }
    candidates.push({ packageName, plugin: (exported?.default ?? exported?.plugin) as ServicePlugin, folder: local?.folder });
  }
  return { candidates, problems };
}
