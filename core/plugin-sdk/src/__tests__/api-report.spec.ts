import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { SDK_VERSION } from '../version';

const ROOT = join(__dirname, '..', '..');
const REPORT = join(ROOT, 'api', 'plugin-sdk.api.d.ts');

/** The public surface: every declaration file tsc emits for src/, in file-name order. */
function currentApi(): string {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error('cannot read core/plugin-sdk/tsconfig.json');
  const files: Record<string, string> = {};
  const program = ts.createProgram(config.fileNames, { ...config.options, declaration: true, emitDeclarationOnly: true, noEmit: false, composite: false, incremental: false, declarationMap: false, sourceMap: false, outDir: '/virtual' });
  program.emit(undefined, (name, text) => {
    if (name.endsWith('.d.ts')) files[name.replace('/virtual/', '')] = text;
  });
  return Object.keys(files).sort().map((name) => `// ${name}\n${files[name]}`).join('\n');
}

describe('@werkbank/plugin-sdk public API', () => {
  it('matches the committed API report (a change here is a change for every plugin author)', () => {
    const api = currentApi();
    if (process.env.WERKBANK_UPDATE_API_REPORT === '1') writeFileSync(REPORT, api);
    const committed = readFileSync(REPORT, 'utf8');
    if (api !== committed) {
      throw new Error(
        'The public API of @werkbank/plugin-sdk changed. If intended: bump the SDK version by semver ' +
          '(major for anything a plugin could break on), then update the report with\n' +
          '  WERKBANK_UPDATE_API_REPORT=1 npx jest core/plugin-sdk --selectProjects unit\nand commit api/plugin-sdk.api.d.ts.',
      );
    }
  });

  it('SDK_VERSION is the package version', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(SDK_VERSION).toBe(pkg.version);
  });
});
