import { readJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { PLUGIN_ID_PATTERN } from '@werkbank/plugin-sdk';
import servicePluginGenerator, { PLUGIN_ID_PATTERN as GENERATOR_ID_PATTERN } from './generator';

describe('service-plugin generator', () => {
  let tree: Tree;
  beforeEach(() => {
    tree = createTreeWithEmptyWorkspace();
  });

  const read = (path: string) => tree.read(path, 'utf-8') ?? '';

  it('scaffolds plugins/<name> with manifest, capabilities, a fake upstream and the contract test', async () => {
    await servicePluginGenerator(tree, { name: 'web-search' });
    const files = tree.listChanges().map((c) => c.path).filter((p) => p.startsWith('plugins/')).sort();
    expect(files).toEqual([
      'plugins/web-search/README.md',
      'plugins/web-search/package.json',
      'plugins/web-search/project.json',
      'plugins/web-search/src/__tests__/fake-web-search.ts',
      'plugins/web-search/src/index.ts',
      'plugins/web-search/src/manifest.ts',
      'plugins/web-search/src/web-search.client.ts',
      'plugins/web-search/src/web-search.contract.spec.ts',
      'plugins/web-search/src/web-search.health.ts',
      'plugins/web-search/src/web-search.provisioner.ts',
      'plugins/web-search/src/web-search.usage-collector.ts',
      'plugins/web-search/tsconfig.json',
    ]);
  });

  it('adds the plugin to tsconfig.build.json once, so start, test and the image build it', async () => {
    tree.write('tsconfig.build.json', JSON.stringify({ files: [], references: [{ path: 'apps/api' }] }));
    await servicePluginGenerator(tree, { name: 'web-search' });
    expect(readJson(tree, 'tsconfig.build.json').references).toEqual([{ path: 'apps/api' }, { path: 'plugins/web-search' }]);
  });

  it('names the package @werkbank/plugin-<name> with the SDK as a peer dependency, and tags the project type:plugin', async () => {
    await servicePluginGenerator(tree, { name: 'web-search' });
    expect(readJson(tree, 'plugins/web-search/package.json')).toEqual({
      name: '@werkbank/plugin-web-search',
      version: '0.1.0',
      private: true,
      description: 'Web Search service plugin for Werkbank',
      main: 'dist/index.js',
      types: 'src/index.ts',
      peerDependencies: { '@werkbank/plugin-sdk': '^1.0.0' },
      devDependencies: { '@werkbank/plugin-testkit': '^1.0.0' },
    });
    const project = readJson(tree, 'plugins/web-search/project.json');
    expect(project).toMatchObject({ name: 'plugin-web-search', sourceRoot: 'plugins/web-search/src', tags: ['type:plugin'] });
    expect(Object.keys(project.targets)).toEqual(['build', 'lint', 'test']);
    expect(project.targets.build.options.command).toBe('tsc -b plugins/web-search');
    expect(readJson(tree, 'plugins/web-search/tsconfig.json').references).toEqual([{ path: '../../core/plugin-sdk' }]);
  });

  it('fills in the id, meter and entitlement keys, class names and environment variable name', async () => {
    await servicePluginGenerator(tree, { name: 'web-search' });
    const manifest = read('plugins/web-search/src/manifest.ts');
    expect(manifest).toContain("id: 'web-search',");
    expect(manifest).toContain("sdkCompatibility: '^1.0.0',");
    expect(manifest).toContain("displayName: 'Web Search',");
    expect(manifest).toContain("export const REQUESTS_METER = 'web-search.requests';");
    expect(manifest).toContain("export const MONTHLY_REQUEST_LIMIT = 'web-search.monthlyRequestLimit';");
    expect(manifest).toContain('WERKBANK_PLUGIN_WEB_SEARCH_OPTIONS');
    expect(manifest).toMatch(/adminToken: \{[^}]*writeOnly: true/);
    expect(read('plugins/web-search/src/index.ts')).toContain('export default plugin;');
    expect(read('plugins/web-search/src/web-search.provisioner.ts')).toContain('export class WebSearchProvisioner implements ServiceProvisioner<WebSearchOptions>');
    expect(read('plugins/web-search/src/__tests__/fake-web-search.ts')).toContain('export class FakeWebSearch');
    expect(read('plugins/web-search/src/web-search.contract.spec.ts')).toContain('runPluginContractSuite({');
    expect(read('plugins/web-search/README.md')).toContain('WERKBANK_PLUGINS=@werkbank/plugin-web-search');
  });

  it('takes a display name', async () => {
    await servicePluginGenerator(tree, { name: 'searxng', displayName: 'SearXNG' });
    expect(read('plugins/searxng/src/manifest.ts')).toContain("displayName: 'SearXNG',");
    expect(read('plugins/searxng/src/searxng.client.ts')).toContain('`SearXNG is unreachable');
  });

  it('leaves no template syntax behind', async () => {
    await servicePluginGenerator(tree, { name: 'web-search' });
    for (const change of tree.listChanges().filter((c) => c.path.startsWith('plugins/'))) {
      expect({ path: change.path, leftover: /<%|%>|__name__/.test(change.content?.toString() ?? '') }).toEqual({ path: change.path, leftover: false });
    }
  });

  it.each([['WebSearch'], ['web_search'], ['1search'], ['web-'], ['']])('refuses the id %j (not kebab-case)', async (name) => {
    await expect(servicePluginGenerator(tree, { name })).rejects.toThrow(/is not kebab-case/);
  });

  it.each([['sdk'], ['testkit'], ['host']])('refuses the id %j (its package would be a core library)', async (name) => {
    await expect(servicePluginGenerator(tree, { name })).rejects.toThrow(/is reserved/);
  });

  it('refuses a plugin that exists already', async () => {
    await servicePluginGenerator(tree, { name: 'web-search' });
    await expect(servicePluginGenerator(tree, { name: 'web-search' })).rejects.toThrow('plugins/web-search already exists');
  });

  it('refuses an id whose project name another project has', async () => {
    tree.write('test/fixtures/lint-fixture-plugin/project.json', JSON.stringify({ name: 'plugin-lint-fixture', root: 'test/fixtures/lint-fixture-plugin' }));
    await expect(servicePluginGenerator(tree, { name: 'lint-fixture' })).rejects.toThrow('A project named "plugin-lint-fixture" already exists (test/fixtures/lint-fixture-plugin)');
  });

  it('refuses a display name that would break the generated code', async () => {
    await expect(servicePluginGenerator(tree, { name: 'x', displayName: "O'Reilly" })).rejects.toThrow(/may hold letters, digits/);
  });

  it('checks ids with the same pattern as the SDK', () => {
    expect(GENERATOR_ID_PATTERN.source).toBe(PLUGIN_ID_PATTERN.source);
  });
});
