import { presentedKey } from './credentials';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('presentedKey', () => {
  it('reads a bearer token', () => {
    expect(presentedKey({ authorization: 'Bearer wbk_abc' })).toBe('wbk_abc');
    expect(presentedKey({ authorization: 'bearer   wbk_abc ' })).toBe('wbk_abc');
  });

  it('reads the api-key header (Qdrant clients)', () => {
    expect(presentedKey({ 'api-key': 'wbk_abc' })).toBe('wbk_abc');
  });

  it('reads the password of HTTP Basic auth, or a key given as the user name', () => {
    expect(presentedKey({ authorization: basic('anyone', 'wbk_abc') })).toBe('wbk_abc');
    expect(presentedKey({ authorization: basic('wbk_abc', '') })).toBe('wbk_abc');
    expect(presentedKey({ authorization: basic('user', 'pa:ss') })).toBe('pa:ss');
  });

  it('prefers Authorization, falls back to api-key for other schemes, and finds nothing otherwise', () => {
    expect(presentedKey({ authorization: 'Bearer wbk_a', 'api-key': 'wbk_b' })).toBe('wbk_a');
    expect(presentedKey({ authorization: 'Token x', 'api-key': 'wbk_b' })).toBe('wbk_b');
    expect(presentedKey({})).toBeUndefined();
    expect(presentedKey({ authorization: 'Bearer' })).toBeUndefined();
    expect(presentedKey({ 'api-key': '  ' })).toBeUndefined();
  });
});
