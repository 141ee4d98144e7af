import type { VerifiedApiKey } from './api-key-verifier';
import { KeyCache } from './key-cache';

const key: VerifiedApiKey = { apiKeyId: 'k1', tenantId: 't1', tenantKind: 'organization', tenantPath: '/r/t1/', scopes: ['gateway:x'], tenantStatus: 'active' };

function setup(settings = { ttlMs: 2000, staleIfErrorMs: 60_000 }) {
  let now = 0;
  let answer: VerifiedApiKey | null | Error = key;
  const verify = jest.fn(async () => {
    if (answer instanceof Error) throw answer;
    return answer;
  });
  const cache = new KeyCache(verify, settings, () => undefined, () => now);
  return {
    cache, verify,
    advance: (ms: number) => (now += ms),
    answer: (a: VerifiedApiKey | null | Error) => (answer = a),
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyCache', () => {
  it('looks a key up once and answers from memory while fresh', async () => {
    const t = setup();
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'valid', key });
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'valid', key });
    expect(t.verify).toHaveBeenCalledTimes(1);
  });

  it('makes one query for a burst of requests with a new key', async () => {
    const t = setup();
    await Promise.all([t.cache.lookup('h'), t.cache.lookup('h'), t.cache.lookup('h')]);
    expect(t.verify).toHaveBeenCalledTimes(1);
  });

  it('sees a revocation within twice the TTL: stale answers are renewed in the background', async () => {
    const t = setup();
    await t.cache.lookup('h');
    t.answer(null); // revoked
    t.advance(2500);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'valid', key }); // stale, renewal started
    await flush();
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' });
    expect(t.verify).toHaveBeenCalledTimes(2);
  });

  it('waits for a new lookup once an answer is older than twice the TTL', async () => {
    const t = setup();
    await t.cache.lookup('h');
    t.answer(null);
    t.advance(4001);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' });
  });

  it('caches unknown keys too (no query per request with a wrong key)', async () => {
    const t = setup();
    t.answer(null);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' });
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' });
    expect(t.verify).toHaveBeenCalledTimes(1);
  });

  it('keeps serving a known key while the database fails, up to staleIfErrorMs, retrying once per TTL', async () => {
    const t = setup({ ttlMs: 2000, staleIfErrorMs: 10_000 });
    await t.cache.lookup('h');
    t.answer(new Error('connection refused'));
    t.advance(5000);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'valid', key });
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'valid', key }); // backing off: no second query
    expect(t.verify).toHaveBeenCalledTimes(2);
    t.advance(6000);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'unavailable' });
  });

  it('answers unavailable for a key it never saw while the database fails', async () => {
    const t = setup();
    t.answer(new Error('down'));
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'unavailable' });
  });

  it('refuses at once with staleIfErrorMs 0 after the TTL window', async () => {
    const t = setup({ ttlMs: 1000, staleIfErrorMs: 0 });
    await t.cache.lookup('h');
    t.answer(new Error('down'));
    t.advance(2500);
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'unavailable' });
  });

  it('forgets every answer on clear(): a revocation in this process is seen by the next request', async () => {
    const t = setup();
    await t.cache.lookup('h');
    t.answer(null); // revoked here
    t.cache.clear();
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' });
    expect(t.verify).toHaveBeenCalledTimes(2);
  });

  it('does not keep an answer whose check began before clear()', async () => {
    const t = setup();
    let release!: () => void;
    t.verify.mockImplementationOnce(() => new Promise((resolve) => { release = () => resolve(key); }));
    const before = t.cache.lookup('h');
    t.cache.clear();
    t.answer(null);
    release();
    expect(await before).toEqual({ outcome: 'valid', key }); // the request that started before the revocation
    expect(await t.cache.lookup('h')).toEqual({ outcome: 'invalid' }); // checked anew
  });
});
