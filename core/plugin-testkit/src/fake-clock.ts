/** Where a FakeClock starts unless told otherwise. */
export const FAKE_CLOCK_START = '2026-01-01T00:00:00.000Z';

/**
 * A clock for plugin tests: stands still until told to move. Hand `() => clock.now()` to the
 * code under test (a `PluginContext` from `createPluginContext` does) and travel in time with
 * `advance` or `set`.
 *
 * Same shape as the core's clock (`now()`), but without loading the core: plugin tests need
 * only the SDK.
 */
export class FakeClock {
  private current: number;

  constructor(start: Date | string | number = FAKE_CLOCK_START) {
    this.current = FakeClock.toMillis(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  /** Jumps to `to` (backwards too). */
  set(to: Date | string | number): void {
    this.current = FakeClock.toMillis(to);
  }

  /** Moves forward by `ms` milliseconds and returns the new time. */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`FakeClock.advance: ms must be a finite number >= 0, got ${ms}`);
    this.current += ms;
    return this.now();
  }

  private static toMillis(value: Date | string | number): number {
    const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
    if (!Number.isFinite(ms)) throw new RangeError(`FakeClock: not a valid time: ${String(value)}`);
    return ms;
  }
}
