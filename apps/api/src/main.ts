import 'reflect-metadata';
import { ConfigError, loadConfig, SystemClock } from '@werkbank/kernel';
import { bootstrapOperator } from '@werkbank/tenancy';
import { DataSource } from 'typeorm';
import { createApp, dataSourceOptions, runMigrations } from '@werkbank/platform';

process.env.WERKBANK_PROCESS ??= 'api';

async function migrate(): Promise<void> {
  const config = loadConfig();
  const say = (line: string) => process.stdout.write(`[werkbank] ${line}\n`);
  say('running database migrations ...');
  const applied = await runMigrations(config.databaseUrl, (line) => say(`  ${line}`));
  say(applied.length ? `${applied.length} migration(s) applied` : 'database schema is up to date');
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl));
  await dataSource.initialize();
  try {
    const result = await bootstrapOperator(dataSource, config, new SystemClock());
    if (result.adminCreated) {
      say(`created the first operator admin: ${result.adminEmail}`);
      if (result.generatedPassword) {
        say(`generated password (shown only this once, store it now): ${result.generatedPassword}`);
      } else {
        say('password: the value of WERKBANK_ADMIN_PASSWORD');
      }
    } else {
      say(`operator admin: ${result.adminEmail} (password unchanged; forgot it? POST /v1/auth/password-reset)`);
    }
  } finally {
    await dataSource.destroy();
  }
}

async function serve(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen({ port: config.port, host: process.env.HOST ?? '0.0.0.0' });
}

const command = process.argv[2] ?? 'serve';
const run = command === 'migrate' ? migrate : command === 'serve' ? serve : null;
if (!run) {
  process.stderr.write(`unknown command "${command}"; use "migrate" or "serve"\n`);
  process.exit(2);
}
run().then(
  () => {
    if (command === 'migrate') process.exit(0);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee the configuration table in README.md.\n`);
    } else {
      process.stderr.write(`[werkbank] ${command} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
    process.exit(1);
  },
);
