import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { currentRequestId } from './request-context';

/** Paths that must never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["api-key"]', 'headers.authorization',
  'password', '*.password', 'token', '*.token', 'refreshToken', '*.refreshToken', 'accessToken', '*.accessToken', 'key', '*.key', 'secret', '*.secret',
];

/** Where log lines go: stdout by default; tests capture them to scan for leaked secrets. */
export interface LogDestination {
  write(line: string): void;
}

export function createRootLogger(level: string, destination?: LogDestination): Logger {
  const options = {
    level,
    base: { service: process.env.WERKBANK_PROCESS ?? 'werkbank' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** Nest's logger interface on pino: one JSON line per entry, with the request id when there is one. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string, extra?: Record<string, unknown>): void {
    const requestId = currentRequestId();
    const fields = { ...(context ? { context } : {}), ...(requestId ? { requestId } : {}), ...(extra ?? {}) };
    if (message !== null && typeof message === 'object') this.logger[level]({ ...fields, ...(message as Record<string, unknown>) });
    else this.logger[level](fields, String(message));
  }

  private split(params: unknown[]): string | undefined {
    const last = params[params.length - 1];
    return typeof last === 'string' ? last : undefined;
  }

  log(message: unknown, ...params: unknown[]): void { this.write('info', message, this.split(params)); }
  error(message: unknown, ...params: unknown[]): void {
    const context = this.split(params);
    const stack = params.length > 1 && typeof params[0] === 'string' ? params[0] : undefined;
    this.write('error', message, context, stack ? { stack } : undefined);
  }
  warn(message: unknown, ...params: unknown[]): void { this.write('warn', message, this.split(params)); }
  debug(message: unknown, ...params: unknown[]): void { this.write('debug', message, this.split(params)); }
  verbose(message: unknown, ...params: unknown[]): void { this.write('trace', message, this.split(params)); }
  fatal(message: unknown, ...params: unknown[]): void { this.write('fatal', message, this.split(params)); }
}
