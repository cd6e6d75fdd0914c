import { ErrorCode, RxloopError } from '../../src/errors.js';

/** Options of an {@link OutputLimit}; the defaults are Redis's `client-output-buffer-limit pubsub 32mb 8mb 60`. */
export interface OutputLimitOptions {
  /** Bytes queued for the client past which it is closed at once; default 32 MiB. */
  hard?: number;
  /** Bytes queued past which the client is closed if it stays over them for `softSeconds`; default 8 MiB. */
  soft?: number;
  /** How long the client may stay over `soft`; default 60 s. */
  softSeconds?: number;
}

/**
 * Redis's output limit for a subscriber that cannot keep up: a client whose unsent output passes the hard limit,
 * or stays over the soft limit for longer than allowed, is disconnected (a message is never dropped from the
 * middle of a stream; the whole connection goes). One per connection; ask {@link OutputLimit.check} before
 * queueing more for it.
 *
 * ## Example
 * ```ts
 * import { OutputLimit } from './OutputLimit.js';
 *
 * const limit = new OutputLimit({ hard: 1024, soft: 512, softSeconds: 10 });
 * console.log(limit.check(100, 0)); // undefined: fine
 * console.log(limit.check(600, 0)); // undefined: over soft since 0
 * console.log(limit.check(600, 11_000)?.code); // 'ERR_OVERLOADED'
 * ```
 */
export class OutputLimit {
  private readonly hard: number;
  private readonly soft: number;
  private readonly softMs: number;
  /** When the output went over the soft limit, or -1 while it is under. */
  private overSince = -1;

  /**
   * @param options the limits
   */
  constructor(options: OutputLimitOptions = {}) {
    this.hard = options.hard ?? 32 * 1024 * 1024;
    this.soft = options.soft ?? 8 * 1024 * 1024;
    this.softMs = (options.softSeconds ?? 60) * 1000;
  }

  /**
   * Judges the client's output now.
   *
   * @param queued bytes queued for the client and not yet sent
   * @param now the time in milliseconds, or the clock to read it from (read only over the soft limit)
   * @returns the error to close the connection with, or `undefined` while it is within the limits
   */
  check(queued: number, now: number | (() => number) = Date.now): RxloopError | undefined {
    if (queued <= this.soft) {
      this.overSince = -1;
      return undefined;
    }
    return this.over(queued, typeof now === 'number' ? now : now());
  }

  private over(queued: number, now: number): RxloopError | undefined {
    if (queued > this.hard) {
      return new RxloopError(ErrorCode.OVERLOADED,
        `expected a subscriber to keep its unsent output under ${this.hard} bytes (client-output-buffer-limit pubsub), got ${queued}`);
    }
    if (this.overSince < 0) this.overSince = now;
    if (now - this.overSince <= this.softMs) return undefined;
    return new RxloopError(ErrorCode.OVERLOADED,
      `expected a subscriber to bring its unsent output under ${this.soft} bytes within ${this.softMs / 1000} s (client-output-buffer-limit pubsub), got ${queued}`);
  }
}
