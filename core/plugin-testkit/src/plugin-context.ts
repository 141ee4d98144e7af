import type { PluginContext, PluginLogger } from '@werkbank/plugin-sdk';
import { FakeClock } from './fake-clock';
import { MemoryGatewayKeys } from './memory-gateway-keys';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * A PluginLogger that keeps every line, so a test can assert on what a plugin logged (and on
 * what it must never log: credentials, write-only options). `WERKBANK_TEST_LOGS=1` also prints
 * the lines.
 */
export class TestLogger implements PluginLogger {
  readonly lines: LogLine[] = [];

  constructor(private readonly prefix = '') {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.write('error', message, fields);
  }

  /** Every line as one string (message and fields as JSON), for "never logged" assertions. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.message} ${line.fields ? safeJson(line.fields) : ''}`).join('\n');
  }

  clear(): void {
    this.lines.length = 0;
  }

  private write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    this.lines.push(fields === undefined ? { level, message } : { level, message, fields });
    if (process.env.WERKBANK_TEST_LOGS === '1') {
      process.stdout.write(`[${this.prefix || 'plugin'}] ${level} ${message}${fields ? ` ${safeJson(fields)}` : ''}\n`);
    }
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return String(value);
  }
}

/** The context a plugin gets in tests: the SDK's PluginContext plus handles to steer it. */
export interface TestPluginContext<Options = Record<string, unknown>> extends PluginContext<Options> {
  readonly logger: TestLogger;
  /** `now()` reads this clock */
  readonly clock: FakeClock;
  /** aborts `signal`, as the host does when a step times out or the worker shuts down */
  abort(reason?: unknown): void;
  /** records the keys the plugin issued and revoked */
  readonly gatewayKeys: MemoryGatewayKeys;
}

export interface PluginContextSettings {
  /** start of a new FakeClock (default FAKE_CLOCK_START); ignored when `clock` is given */
  now?: Date | string;
  /** share one clock between contexts */
  clock?: FakeClock;
  /** share one logger between contexts */
  logger?: TestLogger;
  /** share gateway keys between contexts (default: new ones per context) */
  gatewayKeys?: MemoryGatewayKeys;
}

/** Builds the context the host would hand to a plugin call: options, a collecting logger, a fake clock, an abort signal, in-memory gateway keys. */
export function createPluginContext<Options = Record<string, unknown>>(
  pluginId: string,
  options: Options,
  settings: PluginContextSettings = {},
): TestPluginContext<Options> {
  const clock = settings.clock ?? new FakeClock(settings.now);
  const logger = settings.logger ?? new TestLogger(pluginId);
  const controller = new AbortController();
  return {
    pluginId,
    options,
    logger,
    clock,
    now: () => clock.now(),
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    gatewayKeys: settings.gatewayKeys ?? new MemoryGatewayKeys(pluginId),
  };
}
