// Root ESLint flat config (ESLint 10). One config for the whole workspace; `npm run lint`
// (`eslint . --max-warnings=0`) and `nx run <project>:lint` both use it.
//
// Module boundaries (docs/architecture "Rules that keep it livable") are enforced by
// `@nx/enforce-module-boundaries` with the project tags from each project.json.
// That rule reads Nx's *cached* project graph (.nx/workspace-data) and silently skips
// itself when there is none (fresh clone, CI, after `nx reset`). So this config
// (re)builds the graph before linting: in-process, no daemon, no network, ~1 s.
// Inside an Nx task (`nx run-many -t lint`) Nx has just built it, so that step is skipped.
import nxEslintPlugin from '@nx/eslint-plugin';
import { createProjectGraphAsync } from '@nx/devkit';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

process.env.NX_DAEMON ??= 'false';
process.env.NX_NO_CLOUD ??= 'true';
if (!process.env.NX_TASK_TARGET_PROJECT) {
  // Throws (and so fails lint loudly) if the graph cannot be built, e.g. a broken project.json.
  await createProjectGraphAsync({ exitOnError: false });
}

const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];
const ALL_CODE = [...TS_FILES, '**/*.js', '**/*.mjs', '**/*.cjs'];
const TEST_FILES = ['**/*.spec.ts', '**/*.e2e-spec.ts'];
/** Test code: specs plus their helpers in __tests__/ (fakes, fixtures); never part of a build. */
const TEST_CODE = [...TEST_FILES, '**/__tests__/**'];

/** Who may import whom. Every project carries exactly one `type:*` tag (see project.json). */
const depConstraints = [
  // Plugins see the SDK and nothing else of ours (plus their own npm dependencies).
  { sourceTag: 'type:plugin', onlyDependOnLibsWithTags: ['type:sdk'] },
  // The SDK is the root of the graph: it imports no project of ours.
  { sourceTag: 'type:sdk', onlyDependOnLibsWithTags: [] },
  // The kernel sits on the SDK only.
  { sourceTag: 'type:kernel', onlyDependOnLibsWithTags: ['type:sdk'] },
  // A context uses kernel, SDK and other contexts (through their public index only,
  // see no-restricted-imports below).
  { sourceTag: 'type:context', onlyDependOnLibsWithTags: ['type:kernel', 'type:sdk', 'type:context'] },
  // core/platform composes the contexts into the api and worker processes (and the testkit's test environment).
  { sourceTag: 'type:composition', onlyDependOnLibsWithTags: ['type:kernel', 'type:sdk', 'type:context'] },
  // The plugin testkit (contract suite) drives the core the way the host does.
  { sourceTag: 'type:testkit', onlyDependOnLibsWithTags: ['type:sdk', 'type:kernel', 'type:context', 'type:composition'] },
  // Apps wire everything together but never a plugin: the plugin host discovers plugins at
  // runtime. (Nx forbids importing an app from anywhere anyway: "Imports of apps are forbidden".)
  { sourceTag: 'type:app', notDependOnLibsWithTags: ['type:plugin'] },
  // The devkit's generators write files; its tests compare with the SDK (e.g. the id pattern).
  { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:sdk'] },
];

/** In test code a plugin may also use the testkit (contract suite, upstream stub); its production code may not. */
const testDepConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag === 'type:plugin'
    ? { ...constraint, onlyDependOnLibsWithTags: [...constraint.onlyDependOnLibsWithTags, 'type:testkit'] }
    : constraint,
);
const boundaryOptions = (constraints) => ({
  // Jest/ESLint config files and test/ are not inside a project; nothing to allow.
  allow: [],
  enforceBuildableLibDependency: false,
  depConstraints: constraints,
});

export default defineConfig(
  globalIgnores(
    [
      '**/dist/',
      '**/node_modules/',
      '**/.werkbank/',
      '**/coverage/',
      '**/.test-env/',
      '.nx/',
      '**/*.d.ts',
    ],
    'werkbank/ignores',
  ),

  // TypeScript: typescript-eslint "recommended" (syntax-only, no type information, so lint stays fast).
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: TS_FILES })),
  {
    name: 'werkbank/typescript',
    files: TS_FILES,
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_`-prefixed names are deliberately unused (Nest hooks, guards, interface impls).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // `interface CreateTenantBody extends TenantInput {}` is a common, readable Nest/DTO idiom.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    name: 'werkbank/tests',
    files: TEST_FILES,
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  // Module boundaries, for TS and JS (the cli launcher is .mjs).
  {
    name: 'werkbank/module-boundaries',
    files: ALL_CODE,
    plugins: { '@nx': nxEslintPlugin },
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaryOptions(depConstraints)],
      // Another project is reached only through its package name, i.e. its public index.
      // (enforce-module-boundaries already rejects relative/absolute paths into another
      // project, but not `@werkbank/tenancy/src/...`, which resolves through the npm
      // workspace symlink because the packages have no "exports" map.)
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@werkbank/[^/]+/.+',
              message:
                "Import another Werkbank project only through its public index ('@werkbank/<name>'), never a deep path.",
            },
          ],
        },
      ],
    },
  },

  // Test code (after the block above, so it wins for these files): plugins may use the testkit.
  {
    name: 'werkbank/module-boundaries-test-code',
    files: TEST_CODE,
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaryOptions(testDepConstraints)],
    },
  },

  // Last: turn off stylistic rules that would fight a formatter.
  eslintConfigPrettier,
);
