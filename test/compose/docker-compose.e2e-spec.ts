// Offline check of the production docker-compose.yml against the Compose-spec rules
// (test/support/compose-validator.ts). Each rule is also shown to fail on a mutated copy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { interpolationError, validateCompose } from '../support/compose-validator';

type Doc = Record<string, any>;

const composeFile = join(__dirname, '..', '..', 'docker-compose.yml');
const original: Doc = parse(readFileSync(composeFile, 'utf8'));

/** A deep copy of the real file, changed by `mutate`, then validated. */
function problemsAfter(mutate: (doc: Doc) => void): string[] {
  const doc = structuredClone(original);
  mutate(doc);
  return validateCompose(doc);
}

function expectProblem(mutate: (doc: Doc) => void, pattern: RegExp): void {
  const problems = problemsAfter(mutate);
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
}

describe('docker-compose.yml', () => {
  it('is valid', () => {
    expect(validateCompose(original)).toEqual([]);
  });

  it('runs the stack Werkbank needs', () => {
    const { services } = original;
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', 'migrate', 'api', 'worker']));
    expect(services.postgres.image).toMatch(/^postgres:16/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.migrate.command).toEqual(['node', 'apps/api/dist/main.js', 'migrate']);
    expect(services.api.command).toEqual(['node', 'apps/api/dist/main.js']);
    expect(services.worker.command).toEqual(['node', 'apps/worker/dist/main.js']);
    for (const app of ['api', 'worker']) {
      expect(services[app].depends_on).toMatchObject({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        migrate: { condition: 'service_completed_successfully' },
      });
      expect(services[app].healthcheck).toBeDefined();
      expect(services[app].environment).toMatchObject({ NODE_ENV: 'production' });
    }
    expect(services.api.ports).toEqual(expect.arrayContaining([expect.stringMatching(/:3000$/)]));
    expect(JSON.stringify(services.api.healthcheck.test)).toContain('/health/ready');
  });

  it('runs the metering gateway with a durable usage journal', () => {
    const gateway = original.services.gateway;
    expect(gateway.command).toEqual(['node', 'apps/gateway/dist/main.js']);
    expect(gateway.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(gateway.environment).toMatchObject({ GATEWAY_PORT: '3001', GATEWAY_JOURNAL_DIR: '/app/.werkbank/gateway-journal', NODE_ENV: 'production' });
    expect(gateway.volumes).toEqual(['gateway-journal:/app/.werkbank/gateway-journal']);
    expect(gateway.ports).toEqual(expect.arrayContaining([expect.stringMatching(/:3001$/)]));
    expect(JSON.stringify(gateway.healthcheck.test)).toContain('127.0.0.1:3001/health/ready');
  });

  it('requires the secrets instead of defaulting them', () => {
    const env = original.services.api.environment;
    expect(env.JWT_SECRET).toBe('${JWT_SECRET:?set JWT_SECRET}');
    expect(env.WERKBANK_ENCRYPTION_KEY).toMatch(/^\$\{WERKBANK_ENCRYPTION_KEY:\?[^}]+\}$/);
    expect(env.DATABASE_URL).toContain('${POSTGRES_PASSWORD:?');
    expect(original.services.postgres.environment.POSTGRES_PASSWORD).toContain('${POSTGRES_PASSWORD:?');
  });
});

describe('compose validator', () => {
  it('rejects a non-mapping document', () => {
    expect(validateCompose(['services'])).toEqual(['the document must be a mapping']);
  });

  it('accepts only spec top-level keys and x-* extensions', () => {
    expectProblem((doc) => {
      doc.servicez = {};
    }, /unknown top-level key "servicez"/);
    expect(problemsAfter((doc) => {
      doc['x-anything'] = { a: 1 };
      doc.version = '3.9';
      doc.networks = {};
    })).toEqual([]);
  });

  it('checks service names', () => {
    expectProblem((doc) => {
      doc.services['my api!'] = { image: 'x' };
    }, /service name "my api!" does not match/);
  });

  it('needs image or build on every service', () => {
    expectProblem((doc) => {
      delete doc.services.api.image;
      delete doc.services.api.build;
    }, /services\.api has neither image nor build/);
    expect(problemsAfter((doc) => delete doc.services.api.build)).toEqual([]);
  });

  it('checks depends_on targets and conditions', () => {
    expectProblem((doc) => {
      doc.services.api.depends_on.cache = { condition: 'service_started' };
    }, /services\.api\.depends_on: unknown service "cache"/);
    expectProblem((doc) => {
      doc.services.worker.depends_on = ['postgres', 'queue'];
    }, /services\.worker\.depends_on: unknown service "queue"/);
    expectProblem((doc) => {
      doc.services.api.depends_on.postgres.condition = 'service_ready';
    }, /depends_on\.postgres: condition "service_ready" is not one of/);
  });

  it('requires a healthcheck on service_healthy targets', () => {
    expectProblem((doc) => {
      delete doc.services.redis.healthcheck;
    }, /services\.(api|worker|migrate)\.depends_on\.redis: service_healthy needs a healthcheck on "redis"/);
    expectProblem((doc) => {
      doc.services.postgres.healthcheck = { test: ['NONE'] };
    }, /depends_on\.postgres: service_healthy needs a healthcheck/);
    expectProblem((doc) => {
      doc.services.postgres.healthcheck.disable = true;
    }, /depends_on\.postgres: service_healthy needs a healthcheck/);
  });

  it('checks healthcheck tests and durations', () => {
    expectProblem((doc) => {
      doc.services.redis.healthcheck.test = ['RUN', 'redis-cli', 'ping'];
    }, /redis\.healthcheck\.test list must start with CMD, CMD-SHELL or NONE/);
    expectProblem((doc) => {
      doc.services.redis.healthcheck.test = ['CMD'];
    }, /redis\.healthcheck\.test CMD needs a command/);
    expectProblem((doc) => {
      doc.services.redis.healthcheck.test = 42;
    }, /redis\.healthcheck\.test must be a string or a list/);
    expect(problemsAfter((doc) => {
      doc.services.redis.healthcheck.test = 'redis-cli ping';
    })).toEqual([]);
    expectProblem((doc) => {
      doc.services.api.healthcheck.interval = '10 seconds';
    }, /api\.healthcheck\.interval "10 seconds" is not a Compose duration/);
    expectProblem((doc) => {
      doc.services.api.healthcheck.start_period = 30;
    }, /api\.healthcheck\.start_period 30 is not a Compose duration/);
    expect(problemsAfter((doc) => {
      doc.services.api.healthcheck.interval = '1m30s';
      doc.services.api.healthcheck.timeout = '1.5s';
      doc.services.api.healthcheck.start_interval = '500ms';
    })).toEqual([]);
  });

  it('requires named volumes to be declared', () => {
    expectProblem((doc) => {
      delete doc.volumes['postgres-data'];
    }, /services\.postgres\.volumes: named volume "postgres-data" is not declared/);
    expectProblem((doc) => {
      doc.services.redis.volumes = [{ type: 'volume', source: 'cache-data', target: '/data' }];
    }, /named volume "cache-data" is not declared/);
    expect(problemsAfter((doc) => {
      doc.services.api.volumes = ['./config:/app/config:ro', '/srv/x:/x', '/anonymous'];
    })).toEqual([]);
  });

  it('checks environment syntax', () => {
    expectProblem((doc) => {
      doc.services.postgres.environment = ['POSTGRES_DB=werkbank', 'NOT A VAR'];
    }, /postgres\.environment entry "NOT A VAR" is not KEY=VAL/);
    expectProblem((doc) => {
      doc.services.postgres.environment = 'POSTGRES_DB=werkbank';
    }, /postgres\.environment must be a mapping or a list of KEY=VAL/);
    expectProblem((doc) => {
      doc.services.postgres.environment = { POSTGRES_DB: { nested: true } };
    }, /postgres\.environment\.POSTGRES_DB must be a string, number, boolean or null/);
    expect(problemsAfter((doc) => {
      doc.services.postgres.environment = ['POSTGRES_DB=werkbank', 'POSTGRES_PASSWORD'];
    })).toEqual([]);
  });

  it('requires postgres, redis, api and worker', () => {
    for (const name of ['postgres', 'redis', 'api', 'worker']) {
      expectProblem((doc) => {
        delete doc.services[name];
        for (const service of Object.values<Doc>(doc.services)) {
          if (service.depends_on) delete service.depends_on[name];
        }
      }, new RegExp(`required service "${name}" is missing`));
    }
  });

  it('requires AOF and noeviction on redis', () => {
    expectProblem((doc) => {
      doc.services.redis.command = ['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec'];
    }, /redis\.command must contain "--maxmemory-policy noeviction"/);
    expectProblem((doc) => {
      doc.services.redis.command = 'redis-server --appendonly no --appendfsync everysec --maxmemory-policy noeviction';
    }, /redis\.command must contain "--appendonly yes"/);
    expectProblem((doc) => {
      delete doc.services.redis.command;
    }, /redis\.command must contain "--appendfsync everysec"/);
  });

  it('checks ${VAR} interpolation syntax', () => {
    expectProblem((doc) => {
      doc.services.api.environment = { ...doc.services.api.environment, JWT_SECRET: '${JWT_SECRET:?set JWT_SECRET' };
    }, /services\.api\.environment\.JWT_SECRET: unclosed/);
    expectProblem((doc) => {
      doc.services.api.ports = ['${1PORT}:3000'];
    }, /services\.api\.ports\[0\]: invalid variable name/);
    expectProblem((doc) => {
      doc['x-werkbank-env'].PORT = 'costs 5$';
    }, /x-werkbank-env\.PORT: invalid interpolation/);
  });
});

describe('interpolationError', () => {
  it.each([
    'plain',
    '$$literal',
    '$VAR and $OTHER_1',
    '${VAR}',
    '${VAR:-default}',
    '${VAR-default}',
    '${VAR:?must be set}',
    '${VAR?must be set}',
    '${VAR:+alt}',
    '${VAR+alt}',
    '${VAR:-}',
    '${A:-${B:-c}}x',
    'pg_isready -U "$${POSTGRES_USER}"',
  ])('accepts %s', (value) => {
    expect(interpolationError(value)).toBeUndefined();
  });

  it.each(['$', 'a $ b', '${}', '${1X}', '${VAR', '${VAR:-x', '${VAR!x}', '${VAR:x}', '${A:-${B}', '$-x'])('rejects %s', (value) => {
    expect(interpolationError(value)).toEqual(expect.any(String));
  });
});
