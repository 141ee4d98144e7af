import { generateApiKey, hashPassword, hasValidApiKeyChecksum, verifyPassword } from './secrets';

describe('API keys', () => {
  it('look like wbk_ + base62 with at least 128 random bits + checksum', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^wbk_[0-9A-Za-z]{39}$/);
    // 33 base62 characters carry 33 * log2(62) > 196 bits; the last 6 are the checksum
    expect(Math.log2(62) * (key.length - 4 - 6)).toBeGreaterThan(128);
  });

  it('are different every time', () => {
    const keys = new Set(Array.from({ length: 200 }, generateApiKey));
    expect(keys.size).toBe(200);
  });

  it('have a checksum that catches a mistyped character', () => {
    const key = generateApiKey();
    expect(hasValidApiKeyChecksum(key)).toBe(true);
    for (const i of [4, 10, 20, key.length - 1]) {
      const typo = key.slice(0, i) + (key[i] === 'a' ? 'b' : 'a') + key.slice(i + 1);
      expect(hasValidApiKeyChecksum(typo)).toBe(false);
    }
    expect(hasValidApiKeyChecksum('wbk_')).toBe(false);
    expect(hasValidApiKeyChecksum('eyJhbGciOi.x.y')).toBe(false);
  });
});

describe('passwords', () => {
  it('are hashed with scrypt and a random salt, and verify', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    await expect(verifyPassword('correct horse battery', a)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', a)).resolves.toBe(false);
    await expect(verifyPassword('anything', null)).resolves.toBe(false);
  });
});
