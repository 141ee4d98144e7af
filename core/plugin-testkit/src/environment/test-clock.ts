/**
 * The environment's clock: real time plus an offset, so a test can jump forward (token
 * expiry, billing periods, reconciliation grace) while queues and timers keep running.
 */
export class TravelClock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  now(): Date {
    return new Date(this.frozenAt ?? Date.now() + this.offsetMs);
  }
  /** jump forward (or back) by `ms` */
  travel(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offsetMs += ms;
  }
  /** stand still at `at` until `unfreeze()` */
  freeze(at: Date | string = this.now()): void {
    this.frozenAt = new Date(at).getTime();
  }
  unfreeze(): void {
    if (this.frozenAt !== null) this.offsetMs = this.frozenAt - Date.now();
    this.frozenAt = null;
  }
}
