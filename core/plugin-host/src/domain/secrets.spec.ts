import type { JsonSchema } from '@werkbank/plugin-sdk';
import { collectSecretValues, isSecretPath, redactFields, redactText, REDACTED } from './secrets';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    url: { type: 'string' },
    adminPassword: { type: 'string' },
    login: { type: 'object', writeOnly: true, properties: { user: { type: 'string' } } },
    nodes: { type: 'array', items: { type: 'object', properties: { url: { type: 'string' }, token: { type: 'string' } } } },
  },
};

describe('secret options', () => {
  it('are recognised by writeOnly (also of an ancestor) and by names with password, secret, token or key', () => {
    expect(isSecretPath(schema, ['url'])).toBe(false);
    expect(isSecretPath(schema, ['adminPassword'])).toBe(true);
    expect(isSecretPath(schema, ['login', 'user'])).toBe(true);
    expect(isSecretPath(schema, ['nodes', 0, 'token'])).toBe(true);
    expect(isSecretPath(schema, ['nodes', 0, 'url'])).toBe(false);
    expect(isSecretPath(undefined, ['apiKey'])).toBe(true);
    expect(isSecretPath(undefined, ['clientSecret'])).toBe(true);
  });

  it('are collected from the options, longest first', () => {
    const options = { url: 'http://a', adminPassword: 'pw-123456', login: { user: 'operator-x' }, nodes: [{ url: 'http://b', token: 'tok-abcdef-long' }] };
    expect(collectSecretValues(schema, options)).toEqual(['tok-abcdef-long', 'operator-x', 'pw-123456']);
  });

  it('are cut out of text and fields; secret-named fields are masked whatever their value', () => {
    const secrets = ['pw-123456'];
    expect(redactText('login with pw-123456 failed', secrets)).toBe(`login with ${REDACTED} failed`);
    expect(redactFields({ url: 'http://a?pw=pw-123456', nested: { apiToken: 'other', count: 2 }, error: new Error('bad pw-123456') }, secrets)).toEqual({
      url: `http://a?pw=${REDACTED}`,
      nested: { apiToken: REDACTED, count: 2 },
      error: { name: 'Error', message: `bad ${REDACTED}` },
    });
  });
});
