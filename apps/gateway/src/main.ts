import 'reflect-metadata';
import { loadGatewayConfig } from '@werkbank/gateway';
import { ConfigError, loadConfig } from '@werkbank/kernel';
import { createGateway } from '@werkbank/platform';

process.env.WERKBANK_PROCESS ??= 'gateway';

async function main(): Promise<void> {
  const config = loadConfig();
  const gatewayConfig = loadGatewayConfig();
  const gateway = await createGateway(config, gatewayConfig);
  // SIGTERM: stop accepting, finish running requests, send (or journal) the last usage
  gateway.app.enableShutdownHooks();
  const url = await gateway.listen();
  process.stdout.write(`${JSON.stringify({ level: 'info', service: 'gateway', msg: `metering gateway listening on ${url}`, journal: gatewayConfig.journalDir })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\nSee the configuration table in README.md.\n` : `[werkbank] gateway failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
