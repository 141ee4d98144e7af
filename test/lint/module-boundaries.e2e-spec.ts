// Proves that the architecture's import rules ("Rules that keep it livable") fail lint:
// @nx/enforce-module-boundaries with the project tags, plus the "public index only" rule.
//
// Source text is linted as if it lived at paths inside real projects (the file need not
// exist), with the workspace's real eslint.config.mjs and Nx project graph. A plugin
// stands in as test/fixtures/lint-fixture-plugin (project `plugin-lint-fixture`, tag
// type:plugin). It is outside the npm workspaces, so nothing links it into node_modules;
// the helper process gets it through NODE_PATH (a temp dir holding a symlink
// @werkbank/plugin-lint-fixture -> the fixture), which is what `npm install` does for a
// real plugins/<id> package. Nx then maps the resolved file to the fixture project.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../..');
const BOUNDARIES = '@nx/enforce-module-boundaries';
const DEEP_IMPORT = 'no-restricted-imports';

const PLUGIN = 'test/fixtures/lint-fixture-plugin/src/virtual.ts';
const KERNEL = 'core/kernel/src/virtual.ts';
const SDK = 'core/plugin-sdk/src/virtual.ts';
const TENANCY = 'core/tenancy/src/virtual.ts';
const API = 'apps/api/src/virtual.ts';
const WORKER = 'apps/worker/src/virtual.ts';
const CLI = 'apps/cli/virtual.mjs';
const PLUGIN_SPEC = 'test/fixtures/lint-fixture-plugin/src/virtual.spec.ts';
const PLUGIN_TEST_HELPER = 'test/fixtures/lint-fixture-plugin/src/__tests__/virtual-fake.ts';
const TESTKIT = 'core/plugin-testkit/src/virtual.ts';
const DEVKIT = 'core/devkit/src/virtual.spec.ts';

interface Case {
  name: string;
  filePath: string;
  code: string;
  /** rule expected to report (exactly one error); undefined = the file must lint clean */
  rule?: string;
  /** the expected message (a string: part of it) */
  message?: string | RegExp;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * Where the target already depends on the source (tenancy uses kernel, api uses tenancy), the
 * rule reports the cycle before it looks at tags; either error fails lint, either is fine here.
 */
const orCycle = (source: string, target: string, message: string) =>
  new RegExp(`${escape(message)}|Circular dependency between "${source}" and "${target}"`);

const use = (from: string) => `import { thing } from '${from}';\nexport const used = thing;\n`;

const cases: Case[] = [
  // plugins: the SDK only
  { name: 'plugin -> tenancy', filePath: PLUGIN, code: use('@werkbank/tenancy'), rule: BOUNDARIES, message: 'tagged with "type:plugin" can only depend on libs tagged with "type:sdk"' },
  { name: 'plugin -> kernel', filePath: PLUGIN, code: use('@werkbank/kernel'), rule: BOUNDARIES, message: 'tagged with "type:plugin" can only depend on libs tagged with "type:sdk"' },
  { name: 'plugin -> api', filePath: PLUGIN, code: use('@werkbank/api'), rule: BOUNDARIES, message: 'Imports of apps are forbidden' },
  { name: 'plugin -> plugin-sdk', filePath: PLUGIN, code: use('@werkbank/plugin-sdk') },
  { name: 'plugin -> npm package', filePath: PLUGIN, code: use('yaml') },
  // a plugin's tests (specs and __tests__/ helpers) may also use the testkit; its code may not
  { name: 'plugin -> plugin-testkit', filePath: PLUGIN, code: use('@werkbank/plugin-testkit'), rule: BOUNDARIES, message: 'tagged with "type:plugin" can only depend on libs tagged with "type:sdk"' },
  { name: 'plugin spec -> plugin-testkit', filePath: PLUGIN_SPEC, code: use('@werkbank/plugin-testkit') },
  { name: 'plugin __tests__ helper -> plugin-testkit', filePath: PLUGIN_TEST_HELPER, code: use('@werkbank/plugin-testkit') },
  { name: 'plugin spec -> tenancy', filePath: PLUGIN_SPEC, code: use('@werkbank/tenancy'), rule: BOUNDARIES, message: 'tagged with "type:plugin" can only depend on libs tagged with "type:sdk", "type:testkit"' },
  // the testkit drives plugins through the SDK, never a plugin package
  { name: 'plugin-testkit -> plugin', filePath: TESTKIT, code: use('@werkbank/plugin-lint-fixture'), rule: BOUNDARIES, message: 'tagged with "type:testkit" can only depend on libs tagged with "type:sdk", "type:kernel", "type:context"' },
  { name: 'plugin-testkit -> plugin-sdk', filePath: TESTKIT, code: use('@werkbank/plugin-sdk') },
  // the devkit (generators): the SDK at most
  { name: 'devkit -> tenancy', filePath: DEVKIT, code: use('@werkbank/tenancy'), rule: BOUNDARIES, message: 'tagged with "type:tooling" can only depend on libs tagged with "type:sdk"' },
  { name: 'devkit -> plugin-sdk', filePath: DEVKIT, code: use('@werkbank/plugin-sdk') },
  // the SDK: nothing of ours
  { name: 'plugin-sdk -> kernel', filePath: SDK, code: use('@werkbank/kernel'), rule: BOUNDARIES, message: orCycle('plugin-sdk', 'kernel', 'tagged with "type:sdk" cannot depend on any libs with tags') },
  // the kernel: the SDK only
  { name: 'kernel -> tenancy', filePath: KERNEL, code: use('@werkbank/tenancy'), rule: BOUNDARIES, message: orCycle('kernel', 'tenancy', 'tagged with "type:kernel" can only depend on libs tagged with "type:sdk"') },
  { name: 'kernel -> plugin-sdk', filePath: KERNEL, code: use('@werkbank/plugin-sdk') },
  // contexts: kernel, SDK, other contexts' public index; never a plugin or an app
  { name: 'tenancy -> plugin', filePath: TENANCY, code: use('@werkbank/plugin-lint-fixture'), rule: BOUNDARIES, message: 'tagged with "type:context" can only depend on libs tagged with "type:kernel", "type:sdk", "type:context"' },
  { name: 'tenancy -> api', filePath: TENANCY, code: use('@werkbank/api'), rule: BOUNDARIES, message: orCycle('tenancy', 'api', 'Imports of apps are forbidden') },
  { name: 'tenancy -> kernel', filePath: TENANCY, code: use('@werkbank/kernel') },
  { name: 'tenancy -> plugin-sdk', filePath: TENANCY, code: use('@werkbank/plugin-sdk') },
  // apps: anything but a plugin (the plugin host discovers plugins at runtime)
  { name: 'api -> plugin', filePath: API, code: use('@werkbank/plugin-lint-fixture'), rule: BOUNDARIES, message: 'tagged with "type:app" can not depend on libs tagged with "type:plugin"' },
  { name: 'worker re-exports plugin', filePath: WORKER, code: `export * from '@werkbank/plugin-lint-fixture';\n`, rule: BOUNDARIES, message: 'can not depend on libs tagged with "type:plugin"' },
  { name: 'api import()s plugin by name', filePath: API, code: `export const load = () => import('@werkbank/plugin-lint-fixture');\n`, rule: BOUNDARIES, message: 'can not depend on libs tagged with "type:plugin"' },
  { name: 'cli (.mjs) -> plugin', filePath: CLI, code: use('@werkbank/plugin-lint-fixture'), rule: BOUNDARIES, message: 'can not depend on libs tagged with "type:plugin"' },
  { name: 'api -> tenancy', filePath: API, code: use('@werkbank/tenancy') },
  { name: 'api -> kernel', filePath: API, code: use('@werkbank/kernel') },
  { name: 'api -> worker', filePath: API, code: use('@werkbank/worker'), rule: BOUNDARIES, message: 'Imports of apps are forbidden' },
  // another project only through its public index
  { name: 'api -> tenancy by relative path', filePath: API, code: use('../../../core/tenancy/src/index'), rule: BOUNDARIES, message: 'Projects cannot be imported by a relative or absolute path' },
  { name: 'api -> tenancy deep import', filePath: API, code: use('@werkbank/tenancy/src/index'), rule: DEEP_IMPORT, message: 'only through its public index' },
  { name: 'plugin -> plugin-sdk deep import', filePath: PLUGIN, code: use('@werkbank/plugin-sdk/src/index'), rule: DEEP_IMPORT, message: 'only through its public index' },
  // a project imports itself relatively, not by its package name
  { name: 'kernel -> @werkbank/kernel', filePath: KERNEL, code: use('@werkbank/kernel'), rule: BOUNDARIES, message: 'Projects should use relative imports' },
];

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string }[];
}

describe('module boundaries (eslint.config.mjs + project tags)', () => {
  let results: LintResult[];
  let helperStdout = '';

  beforeAll(() => {
    const tmp = mkdtempSync(join(tmpdir(), 'werkbank-lint-'));
    try {
      const nodePath = join(tmp, 'node_path');
      mkdirSync(join(nodePath, '@werkbank'), { recursive: true });
      symlinkSync(join(repoRoot, 'test/fixtures/lint-fixture-plugin'), join(nodePath, '@werkbank/plugin-lint-fixture'), 'dir');
      const casesFile = join(tmp, 'cases.json');
      const resultsFile = join(tmp, 'results.json');
      writeFileSync(casesFile, JSON.stringify(cases.map(({ filePath, code }) => ({ filePath, code }))));

      const run = spawnSync(process.execPath, [join(repoRoot, 'test/lint/lint-virtual-files.mjs'), casesFile, resultsFile], {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, NODE_PATH: nodePath, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TASK_TARGET_PROJECT: '' },
      });
      helperStdout = run.stdout ?? '';
      if (run.status !== 0) {
        throw new Error(`lint helper failed (status ${run.status}, ${run.error ?? run.signal ?? ''}):\n${run.stdout}\n${run.stderr}`);
      }
      results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);

  it('had a project graph (the Nx rule skips itself silently without one)', () => {
    expect(helperStdout).not.toMatch(/No cached ProjectGraph/);
    expect(results).toHaveLength(cases.length);
  });

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const { messages } = results[i];
    if (!c.rule) {
      expect(messages).toEqual([]);
      return;
    }
    const message = c.message instanceof RegExp ? expect.stringMatching(c.message) : expect.stringContaining(c.message ?? '');
    expect(messages).toEqual([expect.objectContaining({ ruleId: c.rule, severity: 2, message })]);
  });
});
