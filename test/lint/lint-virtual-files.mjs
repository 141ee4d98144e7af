// Helper for module-boundaries.e2e-spec.ts: lints source text as if it lived at the given
// workspace paths, with the workspace's real eslint.config.mjs and Nx project graph.
// It runs in its own Node process (not inside Jest's module sandbox): ESLint loads its
// config with a native `import()`, and the config uses top-level await.
//
//   node test/lint/lint-virtual-files.mjs <cases.json> <results.json>
//   cases.json:   [{ "filePath": "core/kernel/src/x.ts", "code": "..." }]
//   results.json: [{ "filePath": "...", "messages": [{ "ruleId", "severity", "message" }] }]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const [casesFile, resultsFile] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesFile, 'utf8'));

const eslint = new ESLint({ cwd: repoRoot });
const results = [];
for (const { filePath, code } of cases) {
  const [result] = await eslint.lintText(code, { filePath: resolve(repoRoot, filePath) });
  results.push({
    filePath,
    messages: result.messages.map(({ ruleId, severity, message }) => ({ ruleId, severity, message })),
  });
}
writeFileSync(resultsFile, JSON.stringify(results, null, 2));
