import type { JsonSchema } from '@werkbank/plugin-sdk';
import { manifest } from '../__tests__/plugin-fixtures';
import { compileOptionsSchema, evaluateOptions } from './options.validator';

const schema = manifest().optionsSchema;
const VAR = 'WERKBANK_PLUGIN_DEMO_OPTIONS';
const evaluate = (raw: string | undefined, s: JsonSchema = schema) => evaluateOptions(compileOptionsSchema(s), s, raw, VAR);

describe('evaluateOptions', () => {
  it('accepts valid options and fills in defaults', () => {
    expect(evaluate(JSON.stringify({ baseUrl: 'https://x.example', adminPassword: 'long-enough' }))).toEqual({
      kind: 'valid',
      options: { baseUrl: 'https://x.example', adminPassword: 'long-enough', timeoutMs: 5000 },
    });
  });

  it('reads an unset variable as not configured, naming the missing options', () => {
    for (const raw of [undefined, '', '  ']) {
      expect(evaluate(raw)).toEqual({
        kind: 'not_configured',
        options: { timeoutMs: 5000 },
        problem: `${VAR} is not set (options.baseUrl is required, options.adminPassword is required)`,
      });
    }
  });

  it('reads an unset variable as valid when the schema requires nothing', () => {
    expect(evaluate(undefined, { type: 'object', properties: { region: { type: 'string', default: 'eu' } } })).toEqual({ kind: 'valid', options: { region: 'eu' } });
  });

  it('reads set options that only lack required top-level fields as not configured', () => {
    const outcome = evaluate(JSON.stringify({ baseUrl: 'https://x.example' }));
    expect(outcome).toEqual({ kind: 'not_configured', options: { baseUrl: 'https://x.example', timeoutMs: 5000 }, problem: `required options are missing in ${VAR} (options.adminPassword is required)` });
  });

  it('reports every invalid field with a JavaScript-style path, the problem and the value', () => {
    const outcome = evaluate(JSON.stringify({ baseUrl: 'https://x.example', adminPassword: 'long-enough', timeoutMs: '30', upstreams: ['http://a', 'gpu-2:11434'], colour: 'red' }));
    expect(outcome).toEqual({
      kind: 'invalid',
      problems: [
        { field: 'options.colour', problem: 'is not an option of this plugin' },
        { field: 'options.timeoutMs', problem: 'must be integer (got "30")' },
        { field: 'options.upstreams[1]', problem: 'must match pattern "^https?://" (got "gpu-2:11434")' },
      ],
    });
  });

  it('counts a field missing inside a given option (not at the top level) as invalid', () => {
    const s: JsonSchema = { type: 'object', properties: { nodes: { type: 'array', items: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] } } } };
    expect(evaluate(JSON.stringify({ nodes: [{}] }), s)).toEqual({ kind: 'invalid', problems: [{ field: 'options.nodes[0].url', problem: 'is required' }] });
  });

  it('counts a missing field together with a wrong one as invalid, listing both', () => {
    const outcome = evaluate(JSON.stringify({ baseUrl: 'ftp://x' }));
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.problems.map((p) => p.field)).toEqual(['options.adminPassword', 'options.baseUrl']);
  });

  it('never shows the value of a writeOnly field or of a field named like a secret', () => {
    const s: JsonSchema = {
      type: 'object',
      properties: {
        adminPassword: { type: 'string', minLength: 40 },
        credentials: { type: 'object', writeOnly: true, properties: { user: { type: 'string', pattern: '^[a-z]+$' } } },
        apiKey: { type: 'string', enum: ['a'] },
        region: { type: 'string', enum: ['eu', 'us'] },
      },
    };
    const outcome = evaluate(JSON.stringify({ adminPassword: 'hunter2-hunter2', credentials: { user: 'Sup3rSecretUser' }, apiKey: 'sk-live-123456', region: 'mars' }), s);
    const text = JSON.stringify(outcome);
    expect(text).not.toMatch(/hunter2|Sup3rSecretUser|sk-live-123456/);
    expect(outcome).toEqual({
      kind: 'invalid',
      problems: [
        { field: 'options.adminPassword', problem: 'must NOT have fewer than 40 characters' },
        { field: 'options.credentials.user', problem: 'must match pattern "^[a-z]+$"' },
        { field: 'options.apiKey', problem: 'must be equal to one of the allowed values: "a"' },
        { field: 'options.region', problem: 'must be equal to one of the allowed values: "eu", "us" (got "mars")' },
      ],
    });
  });

  it('reports bad JSON without quoting the text (it may hold a password)', () => {
    const outcome = evaluate('{"baseUrl": "https://x", "adminPassword": topsecret}');
    expect(outcome).toEqual({ kind: 'invalid', problems: [{ field: 'options', problem: `(${VAR}) is not valid JSON` }] });
  });

  it('refuses options that are not an object', () => {
    expect(evaluate('[1,2]')).toEqual({ kind: 'invalid', problems: [{ field: 'options', problem: 'must be object' }] });
  });

  it('checks the formats plugins use', () => {
    const s: JsonSchema = { type: 'object', properties: { url: { type: 'string', format: 'uri' }, mail: { type: 'string', format: 'email' }, host: { type: 'string', format: 'hostname' } } };
    expect(evaluate(JSON.stringify({ url: 'http://gpu-1:11434/v1', mail: 'ops@example.org', host: 'gpu-1.internal' }), s).kind).toBe('valid');
    const bad = evaluate(JSON.stringify({ url: 'not a url', mail: 'ops', host: '-bad-' }), s);
    expect(bad.kind === 'invalid' && bad.problems.map((p) => p.problem)).toEqual([
      'must match format "uri" (got "not a url")',
      'must match format "email" (got "ops")',
      'must match format "hostname" (got "-bad-")',
    ]);
  });
});
