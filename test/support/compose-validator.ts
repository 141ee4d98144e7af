// Offline checks of a parsed docker-compose document against the Compose-spec rules we
// rely on (https://github.com/compose-spec/compose-spec/blob/main/spec.md), plus the
// requirements of the Werkbank stack. Returns one readable message per problem; [] = valid.

export type ComposeDocument = Record<string, unknown>;

export const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes', 'configs', 'secrets'] as const;
export const SERVICE_NAME = /^[a-zA-Z0-9._-]+$/;
export const DEPENDS_ON_CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;
export const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/;
export const HEALTHCHECK_DURATION_KEYS = ['interval', 'timeout', 'start_period', 'start_interval'] as const;
export const REQUIRED_SERVICES = ['postgres', 'redis', 'api', 'worker'] as const;
export const REDIS_REQUIRED_ARGS: ReadonlyArray<[string, string]> = [
  ['appendonly', 'yes'],
  ['appendfsync', 'everysec'],
  ['maxmemory-policy', 'noeviction'],
];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_START = /[A-Za-z_]/;
const VAR_CHAR = /[A-Za-z0-9_]/;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks `${...}`/`$VAR` interpolation in one string the way Compose parses it:
 * `$$` is a literal `$`; `$NAME`; `${NAME}`; `${NAME<op>text}` with op one of
 * `:-` `-` `:?` `?` `:+` `+`, where text may itself contain interpolations. Anything else
 * after a `$` (`${}`, `${1X}`, an unclosed `${`, `$ `, a trailing `$`) is invalid.
 * Returns an error message or undefined.
 */
export function interpolationError(input: string): string | undefined {
  const parse = (start: number, insideBraces: boolean): { end: number; error?: string } => {
    let i = start;
    while (i < input.length) {
      const ch = input[i];
      if (insideBraces && ch === '}') return { end: i };
      if (ch !== '$') {
        i++;
        continue;
      }
      const next = input[i + 1];
      if (next === '$') {
        i += 2;
        continue;
      }
      if (next !== undefined && VAR_START.test(next)) {
        i += 2;
        while (i < input.length && VAR_CHAR.test(input[i])) i++;
        continue;
      }
      if (next !== '{') return { end: i, error: `invalid interpolation at "${input.slice(i, i + 12)}" (a lone "$" must be written "$$")` };
      // ${...}
      let j = i + 2;
      if (j >= input.length || !VAR_START.test(input[j])) {
        return { end: i, error: `invalid variable name in "${input.slice(i, i + 16)}"` };
      }
      while (j < input.length && VAR_CHAR.test(input[j])) j++;
      if (input[j] === '}') {
        i = j + 1;
        continue;
      }
      const op = [':-', ':?', ':+', '-', '?', '+'].find((candidate) => input.startsWith(candidate, j));
      if (!op) {
        return { end: i, error: `invalid interpolation "${input.slice(i, j + 1)}": expected "}" or one of :- - :? ? :+ +` };
      }
      const inner = parse(j + op.length, true);
      if (inner.error) return inner;
      if (input[inner.end] !== '}') return { end: i, error: `unclosed "\${" in "${input.slice(i, i + 24)}"` };
      i = inner.end + 1;
    }
    if (insideBraces) return { end: i, error: `unclosed "\${" in "${input}"` };
    return { end: i };
  };
  return parse(0, false).error;
}

/** Every string value in the document (interpolation applies to values, not keys). */
function* stringValues(value: unknown, at: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [at, value];
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* stringValues(item, `${at}[${index}]`);
  } else if (isMap(value)) {
    for (const [key, item] of Object.entries(value)) yield* stringValues(item, at ? `${at}.${key}` : key);
  }
}

function healthcheckDisabled(healthcheck: unknown): boolean {
  if (!isMap(healthcheck)) return true;
  if (healthcheck.disable === true) return true;
  const { test } = healthcheck;
  return Array.isArray(test) && test[0] === 'NONE';
}

function checkHealthcheck(service: string, healthcheck: unknown, problems: string[]): void {
  const at = `services.${service}.healthcheck`;
  if (!isMap(healthcheck)) {
    problems.push(`${at} must be a mapping`);
    return;
  }
  const { test } = healthcheck;
  if (test !== undefined) {
    if (typeof test === 'string') {
      if (test.trim() === '') problems.push(`${at}.test must not be empty`);
    } else if (Array.isArray(test)) {
      const [kind, ...rest] = test;
      if (!['CMD', 'CMD-SHELL', 'NONE'].includes(kind as string)) {
        problems.push(`${at}.test list must start with CMD, CMD-SHELL or NONE (got ${JSON.stringify(kind)})`);
      } else if (kind !== 'NONE' && rest.length === 0) {
        problems.push(`${at}.test ${kind} needs a command`);
      }
      if (test.some((part) => typeof part !== 'string')) problems.push(`${at}.test entries must be strings`);
    } else {
      problems.push(`${at}.test must be a string or a list`);
    }
  } else if (healthcheck.disable !== true) {
    problems.push(`${at} has no test`);
  }
  for (const key of HEALTHCHECK_DURATION_KEYS) {
    const value = healthcheck[key];
    if (value !== undefined && (typeof value !== 'string' || !DURATION.test(value))) {
      problems.push(`${at}.${key} ${JSON.stringify(value)} is not a Compose duration (e.g. 10s, 1m30s)`);
    }
  }
  const { retries } = healthcheck;
  if (retries !== undefined && (!Number.isInteger(retries) || (retries as number) < 0)) {
    problems.push(`${at}.retries must be a non-negative integer`);
  }
}

function checkEnvironment(service: string, environment: unknown, problems: string[]): void {
  const at = `services.${service}.environment`;
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      // `KEY=VAL`; a bare `KEY` (value taken from the shell) is allowed by the spec too
      if (typeof entry !== 'string' || !ENV_NAME.test(entry.split('=', 1)[0])) {
        problems.push(`${at} entry ${JSON.stringify(entry)} is not KEY=VAL`);
      }
    }
  } else if (isMap(environment)) {
    for (const [key, value] of Object.entries(environment)) {
      if (!ENV_NAME.test(key)) problems.push(`${at} key ${JSON.stringify(key)} is not a valid variable name`);
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        problems.push(`${at}.${key} must be a string, number, boolean or null`);
      }
    }
  } else {
    problems.push(`${at} must be a mapping or a list of KEY=VAL`);
  }
}

/** Named volumes referenced by a service's `volumes` entries (short and long syntax). */
function namedVolumes(service: string, volumes: unknown, problems: string[]): string[] {
  const at = `services.${service}.volumes`;
  if (!Array.isArray(volumes)) {
    problems.push(`${at} must be a list`);
    return [];
  }
  const names: string[] = [];
  for (const entry of volumes) {
    if (typeof entry === 'string') {
      const parts = entry.split(':');
      if (parts.length < 2) continue; // anonymous volume: just a container path
      const source = parts[0];
      const isPath = /^[./~$]/.test(source) || source === '' || /^[A-Za-z]$/.test(source);
      if (!isPath) names.push(source);
    } else if (isMap(entry)) {
      if ((entry.type ?? 'volume') === 'volume' && typeof entry.source === 'string' && entry.source) names.push(entry.source);
    } else {
      problems.push(`${at} entry ${JSON.stringify(entry)} must be a string or a mapping`);
    }
  }
  return names;
}

function dependsOnEntries(
  service: string,
  dependsOn: unknown,
  problems: string[],
): Array<{ target: string; condition: unknown }> {
  const at = `services.${service}.depends_on`;
  if (Array.isArray(dependsOn)) {
    return dependsOn.map((target) => ({ target: String(target), condition: 'service_started' }));
  }
  if (isMap(dependsOn)) {
    return Object.entries(dependsOn).map(([target, spec]) => ({
      target,
      condition: isMap(spec) ? (spec.condition ?? 'service_started') : spec === null ? 'service_started' : spec,
    }));
  }
  problems.push(`${at} must be a list or a mapping`);
  return [];
}

function commandText(command: unknown): string {
  if (Array.isArray(command)) return command.map(String).join(' ');
  return typeof command === 'string' ? command : '';
}

export function validateCompose(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isMap(doc)) return ['the document must be a mapping'];

  for (const key of Object.keys(doc)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key) && !key.startsWith('x-')) {
      problems.push(`unknown top-level key "${key}" (allowed: ${TOP_LEVEL_KEYS.join(', ')}, x-*)`);
    }
  }

  const services = doc.services;
  if (!isMap(services) || Object.keys(services).length === 0) {
    problems.push('services must be a non-empty mapping');
    return problems;
  }
  const declaredVolumes = isMap(doc.volumes) ? Object.keys(doc.volumes) : [];
  if (doc.volumes !== undefined && doc.volumes !== null && !isMap(doc.volumes)) problems.push('volumes must be a mapping');

  for (const [name, service] of Object.entries(services)) {
    if (!SERVICE_NAME.test(name)) problems.push(`service name "${name}" does not match ${SERVICE_NAME}`);
    if (!isMap(service)) {
      problems.push(`services.${name} must be a mapping`);
      continue;
    }
    if (service.image === undefined && service.build === undefined) {
      problems.push(`services.${name} has neither image nor build`);
    }
    if (service.depends_on !== undefined) {
      for (const { target, condition } of dependsOnEntries(name, service.depends_on, problems)) {
        const targetService = services[target];
        if (!isMap(targetService)) {
          problems.push(`services.${name}.depends_on: unknown service "${target}"`);
          continue;
        }
        if (!(DEPENDS_ON_CONDITIONS as readonly unknown[]).includes(condition)) {
          problems.push(
            `services.${name}.depends_on.${target}: condition ${JSON.stringify(condition)} is not one of ${DEPENDS_ON_CONDITIONS.join(', ')}`,
          );
        } else if (condition === 'service_healthy' && healthcheckDisabled(targetService.healthcheck)) {
          problems.push(`services.${name}.depends_on.${target}: service_healthy needs a healthcheck on "${target}"`);
        }
      }
    }
    if (service.healthcheck !== undefined) checkHealthcheck(name, service.healthcheck, problems);
    if (service.environment !== undefined && service.environment !== null) {
      checkEnvironment(name, service.environment, problems);
    }
    if (service.volumes !== undefined) {
      for (const volume of namedVolumes(name, service.volumes, problems)) {
        if (!declaredVolumes.includes(volume)) {
          problems.push(`services.${name}.volumes: named volume "${volume}" is not declared under top-level volumes`);
        }
      }
    }
  }

  for (const required of REQUIRED_SERVICES) {
    if (!(required in services)) problems.push(`required service "${required}" is missing`);
  }

  const redis = services.redis;
  if (isMap(redis)) {
    const command = commandText(redis.command);
    for (const [option, value] of REDIS_REQUIRED_ARGS) {
      if (!new RegExp(`--${option}\\s+${value}(\\s|$)`).test(command)) {
        problems.push(`services.redis.command must contain "--${option} ${value}"`);
      }
    }
  }

  for (const [at, value] of stringValues(doc, '')) {
    const error = interpolationError(value);
    if (error) problems.push(`${at}: ${error}`);
  }

  return problems;
}
