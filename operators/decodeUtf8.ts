import { TextDecoder } from 'node:util';
import { Observable, type OperatorFunction } from 'rxjs';
import { ErrorCode, RxloopError } from '../src/errors.js';

/**
 * Options of {@link decodeUtf8}.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { decodeUtf8, type DecodeUtf8Options } from 'rxloop/operators';
 *
 * // Reject bytes that are not UTF-8 instead of decoding them as U+FFFD.
 * const strict: DecodeUtf8Options = { fatal: true };
 * of(Buffer.from([0x68, 0xff]))
 *   .pipe(decodeUtf8(strict))
 *   .subscribe({ error: (error) => console.log(error.code) }); // 'ERR_INVALID_ENCODING'
 * ```
 */
export interface DecodeUtf8Options {
  /**
   * Fail on bytes that are not UTF-8 (`ERR_INVALID_ENCODING`) and on input that ends inside a character
   * (`ERR_FRAME_TRUNCATED`), instead of decoding them as U+FFFD. Default `false`.
   */
  fatal?: boolean;
}

const STREAM = { stream: true } as const;

/**
 * Decodes a byte stream as UTF-8 text, never splitting a character whose bytes arrive in different chunks: the
 * bytes of an unfinished character wait for the next chunk. Chunks that end before any whole character emit
 * nothing. A byte order mark is kept as U+FEFF.
 *
 * Without `fatal`, invalid bytes and a character left unfinished at completion become U+FFFD. With
 * `fatal: true`, invalid bytes fail with `ERR_INVALID_ENCODING` and an unfinished character at completion fails
 * with `ERR_FRAME_TRUNCATED`. Source errors pass through. The decoder copies what it keeps, so leased chunks may
 * be reused once `next` returns.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { decodeUtf8 } from 'rxloop/operators';
 *
 * const euro = Buffer.from('€'); // 3 bytes
 * of(euro.subarray(0, 1), euro.subarray(1))
 *   .pipe(decodeUtf8({ fatal: true }))
 *   .subscribe((text) => console.log(text)); // '€', once
 * ```
 *
 * @param options `fatal`
 * @returns an operator from chunks to strings
 */
export function decodeUtf8(options: DecodeUtf8Options = {}): OperatorFunction<Buffer, string> {
  const fatal = options.fatal ?? false;
  return (source) =>
    new Observable<string>((subscriber) => {
      const decoder = new TextDecoder('utf-8', { fatal, ignoreBOM: true });
      // In fatal mode: the last (up to) 3 input bytes, to say how many bytes an unfinished character had.
      const tail = Buffer.alloc(3);
      let tailLength = 0;
      let offset = 0;
      const subscription = source.subscribe({
        next: (chunk) => {
          if (subscriber.closed) return;
          let text: string;
          try {
            text = decoder.decode(chunk, STREAM);
          } catch (error) {
            const last = offset + chunk.length - 1;
            subscriber.error(
              new RxloopError(
                ErrorCode.INVALID_ENCODING,
                `expected UTF-8, got an invalid byte sequence ending within input bytes ${offset} to ${last}`,
                { cause: error },
              ),
            );
            return;
          }
          offset += chunk.length;
          if (fatal) tailLength = keepTail(tail, tailLength, chunk);
          if (text.length > 0) subscriber.next(text);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (subscriber.closed) return;
          let text: string;
          try {
            text = decoder.decode();
          } catch (error) {
            const pending = unfinishedLength(tail, tailLength);
            subscriber.error(
              new RxloopError(
                ErrorCode.FRAME_TRUNCATED,
                `expected a whole UTF-8 character, the input ended with ${pending} byte${pending === 1 ? '' : 's'} ` +
                  'of one pending',
                { cause: error },
              ),
            );
            return;
          }
          if (text.length > 0) subscriber.next(text);
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

/** Keeps the last 3 bytes of the input seen so far in `tail`; returns how many it holds. */
function keepTail(tail: Buffer, tailLength: number, chunk: Buffer): number {
  if (chunk.length >= 3) {
    chunk.copy(tail, 0, chunk.length - 3);
    return 3;
  }
  const kept = Math.min(tailLength, 3 - chunk.length);
  tail.copyWithin(0, tailLength - kept, tailLength);
  chunk.copy(tail, kept);
  return kept + chunk.length;
}

/** How many of the last bytes form the unfinished character: back to its lead byte (one that is not 10xxxxxx). */
function unfinishedLength(tail: Buffer, tailLength: number): number {
  let lead = tailLength - 1;
  while (lead > 0 && (tail[lead]! & 0xc0) === 0x80) lead--;
  return tailLength - lead;
}
