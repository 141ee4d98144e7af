// Makes sure Debian's python3-searx is installed before the tests run, the way `npm test`
// (apps/cli/werkbank.mjs) makes sure of redis-server: the SearXNG plugin's end-to-end suite
// starts the real searx with it (searx-process.ts, which uses the same interpreter and tells
// what to install when it is missing). Quick when it is installed: one probe of the module.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Debian's interpreter, for which python3-searx is installed (searx-process.ts uses the same) */
export const SEARX_PYTHON = '/usr/bin/python3';
export const SEARX_INSTALL_COMMAND = 'apt-get update && apt-get install -y python3-searx';

/** true when SEARX_PYTHON can import searx (found without importing it: importing needs settings) */
export function searxInstalled() {
  const probe = spawnSync(SEARX_PYTHON, ['-c', "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('searx') else 3)"], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

/**
 * Resolves with what was found or installed. When python3-searx is missing and we are root with
 * apt-get, it is installed (output streamed to the terminal); otherwise the error says what to run.
 */
export async function ensureSearx({ log = console.log } = {}) {
  if (searxInstalled()) return `python3-searx (${SEARX_PYTHON})`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      'python3-searx is missing (the SearXNG plugin\'s end-to-end test starts it). Install it with:\n' +
        '    sudo apt-get update && sudo apt-get install -y python3-searx',
    );
  }
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new Error('python3-searx is missing and apt-get is not available: the SearXNG plugin\'s end-to-end test needs Debian\'s python3-searx (searx 1.1.0, bookworm) for /usr/bin/python3.');
  }
  log(`[werkbank] python3-searx is missing; installing it: ${SEARX_INSTALL_COMMAND}`);
  const code = await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', SEARX_INSTALL_COMMAND], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new Error(`installing python3-searx failed (exit code ${code}): ${SEARX_INSTALL_COMMAND}`);
  if (!searxInstalled()) throw new Error(`python3-searx was installed but ${SEARX_PYTHON} cannot import searx`);
  return `python3-searx (${SEARX_PYTHON}), installed now`;
}
