import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box';

describe('SecretBox (AES-256-GCM)', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);

  it('round-trips and never contains the plaintext', () => {
    const box = new SecretBox(k1);
    const sealed = box.seal('{"password":"hunter2-secret"}', 'instance-1');
    expect(sealed).not.toContain('hunter2');
    expect(box.open(sealed, 'instance-1')).toBe('{"password":"hunter2-secret"}');
  });

  it('uses a fresh IV every time', () => {
    const box = new SecretBox(k1);
    expect(box.seal('same', 'a')).not.toBe(box.seal('same', 'a'));
  });

  it('refuses a tampered ciphertext and a ciphertext moved to another owner', () => {
    const box = new SecretBox(k1);
    const sealed = box.seal('secret', 'instance-1');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    parts[4] = flipped.toString('base64url');
    expect(() => box.open(parts.join('.'), 'instance-1')).toThrow();
    expect(() => box.open(sealed, 'instance-2')).toThrow();
  });

  it('keeps old ciphertexts readable after a key rotation, and seals new ones with the new key', () => {
    const old = new SecretBox(k1).seal('before rotation', 'x');
    const rotated = new SecretBox(k2, [k1]);
    expect(rotated.open(old, 'x')).toBe('before rotation');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.seal('after', 'x'))).toBe(false);
    expect(() => new SecretBox(k2).open(old, 'x')).toThrow(/unknown key/);
  });
});
