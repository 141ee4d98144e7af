/** Runtime configuration, read once from the environment and validated at start. */
export interface WerkbankConfig {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  /** prefix of every Redis key Werkbank writes (queues, rate limits), so deployments can share a Redis */
  redisPrefix: string;
  jwtSecret: string;
  jwtIssuer: string;
  jwtAudience: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  metricsToken?: string;
  smtpUrl?: string;
  /** 32-byte key for credentials encrypted at rest (AES-256-GCM) */
  encryptionKey: Buffer;
  /** older keys, still accepted for decryption after a rotation */
  previousEncryptionKeys: Buffer[];
  mailFrom: string;
  publicUrl: string;
  adminEmail: string;
  adminPassword?: string;
  operatorName: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  loginMaxAttemptsPerAccount: number;
  loginMaxAttemptsPerIp: number;
  loginWindowSeconds: number;
}

/** One line per bad variable, so an operator can fix them all at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The documented variables; README's configuration table lists the same names. */
export const CONFIG_VARIABLES = [
  'NODE_ENV', 'PORT', 'DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE',
  'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL', 'METRICS_TOKEN', 'SMTP_URL', 'MAIL_FROM', 'PUBLIC_URL',
  'WERKBANK_ADMIN_EMAIL', 'WERKBANK_ADMIN_PASSWORD', 'WERKBANK_OPERATOR_NAME', 'LOG_LEVEL',
  'BODY_LIMIT', 'LOGIN_MAX_ATTEMPTS_PER_ACCOUNT', 'LOGIN_MAX_ATTEMPTS_PER_IP', 'LOGIN_WINDOW', 'WERKBANK_ENCRYPTION_KEY', 'WERKBANK_ENCRYPTION_KEYS_PREVIOUS',
  'HOST', 'TRUST_PROXY', 'WERKBANK_WORKER_HEALTH_PORT', 'REDIS_PREFIX',
] as const;

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): WerkbankConfig {
  const problems: string[] = [];
  const str = (name: string, fallback?: string): string | undefined => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const required = (name: string, hint: string): string => {
    const v = str(name);
    if (!v) problems.push(`${name} is required: ${hint}`);
    return v ?? '';
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, fallbackSeconds: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallbackSeconds;
    const m = /^(\d+)(s|m|h|d)?$/.exec(raw);
    if (!m) {
      problems.push(`${name} must be a duration like 900, 900s, 15m, 12h or 30d (got "${raw}")`);
      return fallbackSeconds;
    }
    const factor = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    return Number(m[1]) * factor;
  };
  const url = (name: string, value: string | undefined, protocols: string[]): void => {
    if (!value) return;
    try {
      const u = new URL(value);
      if (!protocols.includes(u.protocol)) {
        problems.push(`${name} must use ${protocols.join(' or ')} (got "${u.protocol}")`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
  };

  const nodeEnv = str('NODE_ENV', 'development')!;
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const databaseUrl = required('DATABASE_URL', 'a PostgreSQL URL such as postgres://user:pass@host:5432/werkbank (npm start sets one up for you)');
  url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  const redisUrl = required('REDIS_URL', 'a Redis URL such as redis://127.0.0.1:6379 (npm start sets one up for you)');
  url('REDIS_URL', redisUrl, ['redis:', 'rediss:']);
  const jwtSecret = required('JWT_SECRET', 'at least 32 random characters, e.g. `openssl rand -base64 48`');
  if (jwtSecret && jwtSecret.length < 32) problems.push('JWT_SECRET must be at least 32 characters long');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(str('REDIS_PREFIX', 'werkbank')!)) problems.push('REDIS_PREFIX may contain letters, digits, `_`, `.` and `-` (at most 64)');
  const smtpUrl = str('SMTP_URL');
  url('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);
  const port = int('PORT', 3000, 1, 65535);
  const publicUrl = str('PUBLIC_URL', `http://localhost:${port}`)!;
  url('PUBLIC_URL', publicUrl, ['http:', 'https:']);
  const adminEmail = str('WERKBANK_ADMIN_EMAIL', 'admin@werkbank.local')!.toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail)) problems.push('WERKBANK_ADMIN_EMAIL must be an e-mail address');
  const adminPassword = str('WERKBANK_ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 12) {
    problems.push('WERKBANK_ADMIN_PASSWORD must be at least 12 characters long');
  }
  const logLevel = str('LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info')!;
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }

  const rawKey = required('WERKBANK_ENCRYPTION_KEY', 'the base64 encoding of 32 random bytes, e.g. `openssl rand -base64 32` (npm start generates one for you)');
  const encryptionKey = Buffer.from(rawKey, 'base64');
  if (rawKey && encryptionKey.length !== 32) problems.push('WERKBANK_ENCRYPTION_KEY must be the base64 encoding of 32 bytes, e.g. `openssl rand -base64 32`');
  const previousEncryptionKeys = (str('WERKBANK_ENCRYPTION_KEYS_PREVIOUS') ?? '').split(',').map((k) => k.trim()).filter(Boolean).map((k) => Buffer.from(k, 'base64'));
  if (previousEncryptionKeys.some((k) => k.length !== 32)) problems.push('WERKBANK_ENCRYPTION_KEYS_PREVIOUS must be comma-separated base64 encodings of 32 bytes each');

  const config: WerkbankConfig = {
    nodeEnv: nodeEnv as WerkbankConfig['nodeEnv'],
    port,
    databaseUrl,
    redisUrl,
    redisPrefix: str('REDIS_PREFIX', 'werkbank')!,
    jwtSecret,
    jwtIssuer: str('JWT_ISSUER', 'werkbank')!,
    jwtAudience: str('JWT_AUDIENCE', 'werkbank-api')!,
    accessTokenTtlSeconds: duration('ACCESS_TOKEN_TTL', 900),
    refreshTokenTtlSeconds: duration('REFRESH_TOKEN_TTL', 30 * 86400),
    metricsToken: str('METRICS_TOKEN'),
    smtpUrl,
    encryptionKey,
    previousEncryptionKeys,
    mailFrom: str('MAIL_FROM', 'Werkbank <no-reply@werkbank.local>')!,
    publicUrl,
    adminEmail,
    adminPassword,
    operatorName: str('WERKBANK_OPERATOR_NAME', 'Werkbank Operator')!,
    logLevel: logLevel as WerkbankConfig['logLevel'],
    bodyLimitBytes: int('BODY_LIMIT', 1024 * 1024, 1024, 64 * 1024 * 1024),
    loginMaxAttemptsPerAccount: int('LOGIN_MAX_ATTEMPTS_PER_ACCOUNT', 10, 1, 10000),
    loginMaxAttemptsPerIp: int('LOGIN_MAX_ATTEMPTS_PER_IP', 50, 1, 100000),
    loginWindowSeconds: duration('LOGIN_WINDOW', 900),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Integer variables of a context's own configuration (e.g. PROVISIONING_*, METERING_*): each
 * `[name, default, minimum]`; unset or empty means the default. Every bad one is named in one
 * ConfigError.
 */
export function readIntegerVariables<K extends string>(env: Env, spec: Record<K, readonly [name: string, fallback: number, min: number]>): Record<K, number> {
  const problems: string[] = [];
  const values = {} as Record<K, number>;
  for (const key of Object.keys(spec) as K[]) {
    const [name, fallback, min] = spec[key];
    const raw = env[name];
    const n = Number(raw);
    if (raw === undefined || raw === '') values[key] = fallback;
    else if (!Number.isInteger(n) || n < min) {
      problems.push(`${name} must be an integer >= ${min} (got "${raw}")`);
      values[key] = fallback;
    } else values[key] = n;
  }
  if (problems.length) throw new ConfigError(problems);
  return values;
}

/** Nest injection token for the validated configuration. */
export const WERKBANK_CONFIG = Symbol('WERKBANK_CONFIG');
