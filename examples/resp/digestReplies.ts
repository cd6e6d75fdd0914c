import { Observable, Subject, type OperatorFunction } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import type { DigestWork } from './digestTask.js';
import { DIGEST_HOLD_BYTES, DIGEST_HOLD_COUNT } from './sessionReplies.js';
import type { RespHeld, RespOutput } from './RespOutput.js';

/**
 * Turns a connection's {@link RespOutput}s into reply bytes in order: Buffers pass through, each DIGEST's work
 * goes through `hash` (which may run it on a worker pool, so results come later) and its reply takes the
 * DIGEST's place. Replies behind a DIGEST wait for it; with no DIGEST in flight a Buffer goes straight out, so
 * the hot path costs one check per read.
 *
 * Completes once the source has completed and every DIGEST's reply is out; errors with the source or `hash`.
 * With `connection`, its reading is held while 4 DIGESTs are pending, and unsubscribing cancels the
 * pending work (`work.cancelled`), as does the source's completion once the client's input has ended (Redis
 * frees a client at the end of its input).
 *
 * A {@link RespHeld} (the engine paused the connection's batch) is answered with its `proceed` once the output
 * can take more: the connection's `shouldYield` is false (else at `whenReady`), fewer than 4 DIGESTs are
 * pending and under 1 MiB of replies waits behind them. So the engine builds replies as the client reads.
 *
 * ## Example
 * ```ts
 * import { map, of } from 'rxjs';
 * import { digestReplies } from './digestReplies.js';
 * import { digest } from './digest.js';
 *
 * const inline = map((work: { value: Uint8Array; rounds: number }) => Buffer.from(`$64\r\n${digest(work.value, work.rounds)}\r\n`));
 * of(Buffer.from('+OK\r\n'), { value: Buffer.from('v'), rounds: 1 }, Buffer.from(':1\r\n'))
 *   .pipe(digestReplies(inline))
 *   .subscribe((reply) => console.log(JSON.stringify(reply.toString())));
 * ```
 *
 * @param hash from DIGEST work to its complete reply, one result per work in the same order
 * @param options the connection whose reading waits for pending DIGESTs
 * @returns an operator from outputs to reply bytes, in order
 */
export function digestReplies(
  hash: OperatorFunction<DigestWork, Buffer>,
  options: { readonly connection?: Connection } = {},
): OperatorFunction<RespOutput, Buffer> {
  return (source) =>
    new Observable<Buffer>((subscriber) => {
      // Outputs waiting behind a DIGEST: `undefined` marks a DIGEST whose reply has not come yet.
      const waiting: (Buffer | undefined)[] = [];
      const pending: DigestWork[] = [];
      let release: (() => void) | undefined;
      let sourceDone = false;
      /** Bytes of the replies in `waiting`. */
      let waitingBytes = 0;
      /** The engine's pause, until the output can take more. */
      let held: RespHeld | undefined;
      let cancelWait: (() => void) | undefined;
      const work = new Subject<DigestWork>();

      const proceed = (): void => {
        cancelWait = undefined;
        if (held === undefined || subscriber.closed || sourceDone) return;
        // flush() calls again once a DIGEST's answer has let the replies behind it out.
        if (pending.length >= DIGEST_HOLD_COUNT || waitingBytes >= DIGEST_HOLD_BYTES) return;
        const connection = options.connection;
        if (connection !== undefined && connection.shouldYield) {
          cancelWait ??= connection.whenReady(proceed);
          return;
        }
        const go = held;
        held = undefined;
        go.proceed();
      };

      const flush = (): void => {
        while (waiting.length > 0 && waiting[0] !== undefined) {
          const reply = waiting.shift()!;
          waitingBytes -= reply.length;
          subscriber.next(reply);
        }
        if (pending.length < DIGEST_HOLD_COUNT) {
          release?.();
          release = undefined;
        }
        if (sourceDone && waiting.length === 0) subscriber.complete();
        else if (held !== undefined && cancelWait === undefined) proceed();
      };

      const results = work.pipe(hash).subscribe({
        next: (reply) => {
          // `hash` answers in order, so this reply belongs to the oldest DIGEST still waiting.
          const slot = waiting.indexOf(undefined);
          if (slot === -1) return;
          pending.shift();
          waiting[slot] = reply;
          waitingBytes += reply.length;
          flush();
        },
        error: (error) => subscriber.error(error),
      });

      const upstream = source.subscribe({
        next: (output) => {
          if (Buffer.isBuffer(output)) {
            if (waiting.length === 0) subscriber.next(output);
            else {
              waiting.push(output);
              waitingBytes += output.length;
            }
            return;
          }
          if ('proceed' in output) {
            held = output;
            proceed();
            return;
          }
          waiting.push(undefined);
          pending.push(output);
          if (release === undefined && options.connection !== undefined && pending.length >= DIGEST_HOLD_COUNT) {
            release = options.connection.hold();
          }
          work.next(output);
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          // Redis frees a client at the end of its input: DIGEST work still pending has nobody to go to.
          if (options.connection?.isInputEnded === true && waiting.length > 0) {
            for (const each of pending) each.cancelled = true;
            pending.length = 0;
            waiting.length = 0;
            waitingBytes = 0;
          }
          work.complete();
          flush();
        },
      });

      return () => {
        upstream.unsubscribe();
        results.unsubscribe();
        cancelWait?.();
        held = undefined;
        for (const each of pending) each.cancelled = true;
        release?.();
      };
    });
}
