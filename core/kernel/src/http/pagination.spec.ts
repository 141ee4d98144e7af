import { ProblemException } from '../problem/problem';
import { decodeCursor, encodeCursor, toPage } from './pagination';

describe('cursor pagination', () => {
  const id = '01a20950-7abf-7397-885d-b5750d34ad8a';

  it('round-trips a cursor', () => {
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it('refuses a tampered cursor with 400 pagination.invalid_cursor', () => {
    for (const bad of ['garbage', encodeCursor('not-an-id'), Buffer.from('{"id":1}').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(ProblemException);
      try {
        decodeCursor(bad);
      } catch (e) {
        expect((e as ProblemException).code).toBe('pagination.invalid_cursor');
      }
    }
  });

  it('builds a page from limit+1 rows, with a cursor only when more rows exist', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(toPage(rows, 2, (r) => r.id)).toEqual({ items: ['a', 'b'], nextCursor: encodeCursor('b') });
    expect(toPage(rows.slice(0, 2), 2, (r) => r.id)).toEqual({ items: ['a', 'b'], nextCursor: null });
  });
});
