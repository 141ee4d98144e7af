import { ProblemException } from '../problem/problem';
import { assertJsonDepth, jsonDepth } from './json-depth';

describe('JSON depth limit', () => {
  it('measures nesting of objects and arrays', () => {
    expect(jsonDepth('x')).toBe(0);
    expect(jsonDepth({ a: 1 })).toBe(1);
    expect(jsonDepth({ a: [{ b: {} }] })).toBe(4);
  });

  it('refuses a 100,000-level body without overflowing the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => assertJsonDepth(deep)).toThrow(ProblemException);
    expect(() => assertJsonDepth({ a: { b: { c: 1 } } })).not.toThrow();
  });
});
