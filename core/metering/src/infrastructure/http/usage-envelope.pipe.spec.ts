import { ProblemException } from '@werkbank/kernel';
import { UsageEnvelopePipe } from './usage-envelope.pipe';

describe('the usage envelope', () => {
  const pipe = new UsageEnvelopePipe();
  const fields = (body: unknown): string[] => {
    try {
      pipe.transform(body);
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemException);
      expect((error as ProblemException).code).toBe('request.validation_failed');
      return ((error as ProblemException).extensions.errors ?? []).map((e) => e.field);
    }
    throw new Error('accepted');
  };

  it('passes the events through unchecked (they are checked one by one later)', () => {
    const events = [{ anything: true }, 5, null];
    expect(pipe.transform({ events })).toBe(events);
    expect(pipe.transform({ events: [] })).toEqual([]);
  });

  test.each([
    ['a list', [], ['events']],
    ['a string', 'events', ['events']],
    ['null', null, ['events']],
    ['an object without events', {}, ['events']],
    ['events that are not a list', { events: { 0: {} } }, ['events']],
    ['an unknown field', { events: [], dryRun: true }, ['dryRun']],
    ['10,001 events', { events: new Array(10_001).fill({}) }, ['events']],
  ])('%s is a malformed envelope naming %j', (_name, body, expected) => {
    expect(fields(body)).toEqual(expected);
  });

  it('takes exactly 10,000 events', () => {
    expect(pipe.transform({ events: new Array(10_000).fill({}) })).toHaveLength(10_000);
  });
});
