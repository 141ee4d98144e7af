// Starts the real search engine for the SearXNG suite: Debian's python3-searx (searx 1.1.0 on
// bookworm) as a child process on loopback, with searx-settings.yml (its {{INDEX_URL}} filled
// in) as SEARX_SETTINGS_PATH. searx's WSGI app is served by werkzeug's threaded server, as
// Debian's `searx-run` does, but bound to port 0 so the port is free for sure; the child prints
// it. Nothing is skipped: without python3-searx the suite fails with the command to install it
// (`npm test` installs it itself when run as root: apps/cli/werkbank.mjs).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Debian's interpreter (a pyenv or venv python3 on PATH would not see python3-searx), and the probe `npm test` uses
import { SEARX_INSTALL_COMMAND, SEARX_PYTHON, searxInstalled } from './searx-install.mjs';

const SETTINGS_TEMPLATE = join(__dirname, 'searx-settings.yml');
const START_TIMEOUT_MS = 30_000;

const SERVE = `
from werkzeug.serving import make_server
from searx.webapp import app  # reads SEARX_SETTINGS_PATH
server = make_server('127.0.0.1', 0, app, threaded=True)
print('searx listening on', server.server_port, flush=True)
server.serve_forever()
`;

export interface SearxProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  /** what searx wrote to stdout and stderr */
  output(): string;
  close(): Promise<void>;
}

/** Throws, saying what to install, when python3-searx cannot be used. */
export function checkSearxInstalled(): void {
  if (!searxInstalled()) {
    throw new Error(
      `The SearXNG plugin's end-to-end test needs Debian's python3-searx, started on loopback with ${SEARX_PYTHON}, which cannot import searx.\n` +
        `Install it with:\n    sudo ${SEARX_INSTALL_COMMAND.replace('&& apt-get', '&& sudo apt-get')}\n` +
        '(`npm test` installs it itself when it runs as root on Debian/Ubuntu.)',
    );
  }
}

/** Starts searx with the suite's settings; its only engine searches `indexUrl` (fake-web-index.ts). */
export async function startSearx(indexUrl: string): Promise<SearxProcess> {
  checkSearxInstalled();
  const dir = await mkdtemp(join(tmpdir(), 'werkbank-searx-'));
  const settingsPath = join(dir, 'settings.yml');
  await writeFile(settingsPath, (await readFile(SETTINGS_TEMPLATE, 'utf8')).replaceAll('{{INDEX_URL}}', indexUrl));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', SEARX_SETTINGS_PATH: settingsPath, SEARX_DEBUG: '0', NO_PROXY: '127.0.0.1,localhost', PYTHONDONTWRITEBYTECODE: '1' };
  const child = spawn(SEARX_PYTHON, ['-c', SERVE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const cleanup = () => rm(dir, { recursive: true, force: true });

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`searx did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const onData = () => {
        const match = /searx listening on (\d+)/.exec(output);
        if (!match) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(Number(match[1]));
      };
      child.stdout!.on('data', onData);
      child.once('error', (error) => { clearTimeout(timer); reject(error); });
      child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`searx exited before it listened (code ${code}, signal ${signal})`)); });
    });
  } catch (error) {
    await stop(child);
    await cleanup();
    throw new Error(`${(error as Error).message}; its output:\n${output.trim()}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    close: async () => {
      await stop(child);
      await cleanup();
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
