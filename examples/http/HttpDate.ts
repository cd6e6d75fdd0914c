// Versions are unique across all instances, so a prepared response stamped by one HttpDate is never mistaken
// for current by another (tests run sessions with different clocks side by side).
let nextVersion = 1;

/**
 * Calls `callback` once after `ms` milliseconds, without keeping the process alive; {@link HttpDate} uses it to
 * learn when its value goes stale.
 *
 * ## Example
 * ```ts
 * import { HttpDate } from './HttpDate.js';
 * import type { HttpDateTimer } from './HttpDate.js';
 *
 * const pending: Array<() => void> = [];
 * const manual: HttpDateTimer = (callback) => pending.push(callback);
 * const date = new HttpDate(() => Date.UTC(2024, 0, 2), manual);
 * pending.splice(0).forEach((fire) => fire()); // the next refresh() reads the clock again
 * ```
 */
export type HttpDateTimer = (callback: () => void, ms: number) => void;

const unrefTimer: HttpDateTimer = (callback, ms) => {
  setTimeout(callback, ms).unref();
};

/**
 * The `Date` header value (IMF-fixdate), formatted at most once per second. Formatting costs about a
 * microsecond and even reading the clock costs ~45 ns, a tenth of a small request's whole parse-route-write,
 * so, like node:http, a timer marks the value stale at the next second boundary and only then is the clock read.
 *
 * ## Example
 * ```ts
 * import { HttpDate } from './HttpDate.js';
 *
 * const date = new HttpDate(() => Date.UTC(2024, 0, 2, 3, 4, 5));
 * console.log(date.value); // 'Tue, 02 Jan 2024 03:04:05 GMT'
 * ```
 */
export class HttpDate {
  /** The current value, for example `'Tue, 02 Jan 2024 03:04:05 GMT'`; always 29 characters. */
  value = '';
  /** The same value as latin1 bytes. Rewritten in place by {@link HttpDate.refresh}: copy, never keep. */
  readonly bytes: Buffer = Buffer.alloc(29);
  /** Changes whenever {@link HttpDate.value} does; unique across instances. */
  version = 0;
  private stale = true;
  private second = Number.NaN;
  private readonly clock: () => number;
  private readonly timer: HttpDateTimer;
  private readonly expire = (): void => {
    this.stale = true;
  };

  /**
   * @param clock milliseconds since the epoch; injectable so tests can fix the date
   * @param timer schedules the staleness mark; injectable so tests can fire it (default: an unref'd setTimeout)
   */
  constructor(clock: () => number = Date.now, timer: HttpDateTimer = unrefTimer) {
    this.clock = clock;
    this.timer = timer;
    this.refresh();
  }

  /**
   * Brings the value up to date if the timer marked it stale; otherwise costs one field check. Called once per
   * batch of responses.
   */
  refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    const now = this.clock();
    // A timer firing a little early must not leave the old second in place for another whole second.
    this.timer(this.expire, 1000 - (((now % 1000) + 1000) % 1000));
    const second = Math.floor(now / 1000);
    if (second === this.second) return;
    this.second = second;
    // toUTCString is IMF-fixdate since ES2018; years 1000-9999 give exactly 29 characters, which prepared
    // responses rely on to restamp in place.
    this.value = new Date(second * 1000).toUTCString();
    this.bytes.write(this.value, 0, 'latin1');
    this.version = nextVersion++;
  }
}
