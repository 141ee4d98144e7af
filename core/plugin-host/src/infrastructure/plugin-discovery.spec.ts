import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { loadPlugins } from '../application/plugin-loader';
import { discoverPlugins, findRepoRoot } from './plugin-discovery';

/** CommonJS source of a plugin module, as tsc emits it. */
const pluginModule = (id: string, exportName: 'default' | 'plugin' = 'default', extra = '') => `
"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.${exportName} = {
  manifest: {
    id: ${JSON.stringify(id)}, version: '0.1.0', sdkCompatibility: '^1.0.0', displayName: ${JSON.stringify(id)}, description: 'test plugin',
    optionsSchema: { type: 'object', properties: {} }, modes: ['shared'],
    meters: [{ key: ${JSON.stringify(`${id}.requests`)}, unit: 'request', aggregation: 'count', description: 'requests' }],
  },
};
${extra}`;

describe('discoverPlugins', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const workspacePlugin = (folder: string, name = `@werkbank/plugin-${folder}`, id = folder) => {
    write(`plugins/${folder}/package.json`, JSON.stringify({ name, version: '0.1.0', main: 'dist/index.js' }));
    write(`plugins/${folder}/dist/index.js`, pluginModule(id));
  };
  const installed = (name: string, source: string) => {
    write(`node_modules/${name}/package.json`, JSON.stringify({ name, version: '0.1.0', main: 'index.js' }));
    write(`node_modules/${name}/index.js`, source);
  };
  /** Node's resolution from the temp repository (Jest's own resolver maps @werkbank/* to core sources). */
  const resolvePackage = (name: string) => require.resolve(join(root, 'node_modules', name));
  const discover = (env: Record<string, string> = {}, preferSources = false) => discoverPlugins({ env, repoRoot: root, preferSources, resolvePackage });
  const ids = (result: ReturnType<typeof discover>) => result.candidates.map((c) => [c.packageName, c.plugin?.manifest.id, c.folder]);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'werkbank-discovery-'));
    write('package.json', JSON.stringify({ name: 'werkbank', private: true, workspaces: ['core/*', 'plugins/*', 'apps/*'] }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the repository root from src and from dist alike', () => {
    const repo = resolve(__dirname, '../../../..');
    expect(findRepoRoot(__dirname)).toBe(repo);
    expect(findRepoRoot(join(repo, 'core/plugin-host/dist/infrastructure'))).toBe(repo);
    expect(findRepoRoot(join(root, 'plugins/x/dist'))).toBe(root);
  });

  it('loads no plugin when the workspace has none', () => {
    expect(discover()).toEqual({ candidates: [], problems: [] });
  });

  it('loads by default every plugins/<folder> whose package is @werkbank/plugin-<folder>, with its folder', () => {
    workspacePlugin('beta');
    workspacePlugin('alpha');
    workspacePlugin('misnamed', '@acme/something');
    mkdirSync(join(root, 'plugins/no-package'), { recursive: true });
    expect(ids(discover())).toEqual([
      ['@werkbank/plugin-alpha', 'alpha', 'alpha'],
      ['@werkbank/plugin-beta', 'beta', 'beta'],
    ]);
  });

  it('loads a first-party plugin from its sources when running from sources (Jest)', () => {
    workspacePlugin('alpha');
    write('plugins/alpha/src/index.ts', `import { defineServicePlugin, SDK_VERSION } from '@werkbank/plugin-sdk';
export default defineServicePlugin({ manifest: { id: 'alpha', version: '0.2.0', sdkCompatibility: \`^\${SDK_VERSION}\`, displayName: 'Alpha',
  description: 'from source', optionsSchema: { type: 'object' }, modes: ['shared'], meters: [] } });
`);
    expect(discover({}, true).candidates[0].plugin.manifest.version).toBe('0.2.0');
    expect(discover({}, false).candidates[0].plugin.manifest.version).toBe('0.1.0');
  });

  it('reports a first-party plugin that is not built', () => {
    write('plugins/alpha/package.json', JSON.stringify({ name: '@werkbank/plugin-alpha', main: 'dist/index.js' }));
    expect(discover().problems).toEqual([{
      packageName: '@werkbank/plugin-alpha', field: 'package', problem: 'is not built (plugins/alpha/dist/index.js is missing)',
      fix: 'Build it with `npx tsc -b plugins/alpha`, or leave it out of WERKBANK_PLUGINS.',
    }]);
  });

  it('loads exactly the packages in WERKBANK_PLUGINS, installed ones and first-party ones, once each', () => {
    workspacePlugin('alpha');
    workspacePlugin('beta');
    installed('@werkbank/plugin-ext', pluginModule('ext', 'plugin'));
    const result = discover({ WERKBANK_PLUGINS: ' @werkbank/plugin-ext, @werkbank/plugin-alpha ,,@werkbank/plugin-ext' });
    expect(ids(result)).toEqual([
      ['@werkbank/plugin-ext', 'ext', undefined],
      ['@werkbank/plugin-alpha', 'alpha', 'alpha'],
    ]);
  });

  it('loads nothing for WERKBANK_PLUGINS=none', () => {
    workspacePlugin('alpha');
    expect(discover({ WERKBANK_PLUGINS: 'none' })).toEqual({ candidates: [], problems: [] });
  });

  it('reports names that are not plugin packages, packages that cannot be found or fail to load', () => {
    installed('@werkbank/plugin-crash', 'throw new Error("cannot reach the license server\\n    at stack");');
    const result = discover({ WERKBANK_PLUGINS: 'lodash,@werkbank/plugin-Bad_Name,@werkbank/plugin-missing,@werkbank/plugin-crash' });
    expect(result.candidates).toEqual([]);
    expect(result.problems.map((p) => [p.packageName, p.field, p.problem])).toEqual([
      ['lodash', 'package name', expect.stringContaining('is not a plugin package name')],
      ['@werkbank/plugin-Bad_Name', 'package name', expect.stringContaining('is not a plugin package name')],
      ['@werkbank/plugin-missing', 'package', 'cannot be found'],
      ['@werkbank/plugin-crash', 'package', 'failed to load: cannot reach the license server'],
    ]);
    expect(result.problems[2].fix).toMatch(/npm install @werkbank\/plugin-missing.*NODE_PATH/);
  });

  it('hands the loader what it needs to refuse a wrong id or folder', () => {
    installed('@werkbank/plugin-foo', pluginModule('bar'));
    workspacePlugin('gamma', '@werkbank/plugin-gamma', 'delta');
    const found = discover({ WERKBANK_PLUGINS: '@werkbank/plugin-foo,@werkbank/plugin-gamma' });
    expect(() => loadPlugins({ ...found, env: {} })).toThrow(
      /@werkbank\/plugin-foo \(id "bar"\): manifest\.id is "bar", but the package is @werkbank\/plugin-foo[^\n]*\n.*@werkbank\/plugin-gamma \(id "delta"\): manifest\.id is "delta", but the package is @werkbank\/plugin-gamma/s,
    );
  });
});
