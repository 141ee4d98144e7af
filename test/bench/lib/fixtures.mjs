// The gateway test fixtures (TypeScript under test/fixtures/gateway) made runnable by plain Node:
// the metered plugin installed as a package in a NODE_PATH folder (the way an operator installs a
// plugin; as test/faults/provisioning-faults.e2e-spec.ts does), and the fake streaming upstream
// and the Ollama plugin's fake Ollama, each run in a process of its own.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './stack.mjs';

async function transpile(file) {
  const ts = (await import('typescript')).default;
  const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

/** Installs test/fixtures/gateway/metered.plugin.ts as @werkbank/plugin-metered under `dir`/node_modules; returns the NODE_PATH. */
export async function installMeteredPlugin(dir) {
  const pkg = path.join(dir, 'node_modules', '@werkbank', 'plugin-metered');
  fs.mkdirSync(pkg, { recursive: true });
  // the fixture exports `meteredPlugin`; the host takes `export default` or `export const plugin`
  fs.writeFileSync(path.join(pkg, 'index.js'), `${await transpile('test/fixtures/gateway/metered.plugin.ts')}\nexports.plugin = exports.meteredPlugin;\n`);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@werkbank/plugin-metered', version: '1.0.0', main: 'index.js' }));
  return [path.join(dir, 'node_modules'), path.join(ROOT, 'node_modules')].join(':');
}

/**
 * Starts test/fixtures/gateway/fake-streaming-upstream.ts in a child process (lib/upstream.mjs);
 * resolves with its URL and a stop function.
 */
export async function startFakeUpstream(dir, name = 'node-1') {
  const file = path.join(dir, 'fake-streaming-upstream.cjs');
  fs.writeFileSync(file, await transpile('test/fixtures/gateway/fake-streaming-upstream.ts'));
  return forkUpstream('test/bench/lib/upstream.mjs', [file, name], 'the fake upstream');
}

/**
 * Starts the Ollama plugin's fake (plugins/ollama/src/__tests__/fake-ollama.ts) in a child process
 * (lib/ollama-upstream.mjs), `chunkDelayMs` between streamed chunks; resolves with its URL and a stop function.
 */
export async function startFakeOllama(dir, chunkDelayMs = 2) {
  const file = path.join(dir, 'fake-ollama.cjs');
  fs.writeFileSync(file, await transpile('plugins/ollama/src/__tests__/fake-ollama.ts'));
  return forkUpstream('test/bench/lib/ollama-upstream.mjs', [file, String(chunkDelayMs)], 'the fake Ollama');
}

/** Forks a runner that starts a fake and sends `{ url }`; resolves with the URL and a stop function. */
async function forkUpstream(runner, args, what) {
  const child = fork(path.join(ROOT, runner), args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const url = await new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`${what} exited (code ${code})`)));
  });
  return {
    url,
    pid: child.pid,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
