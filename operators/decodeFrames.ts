import { Observable, type OperatorFunction } from 'rxjs';
import type { FrameDecoder } from './FrameDecoder.js';

/**
 * Wraps a {@link FrameDecoder} into an operator: one decoder per subscription, frames emitted one by one or, in
 * batch mode, as one array per input chunk.
 *
 * Frames completed before a failure are delivered before the `error` (in batch mode as a last, shorter array).
 * Source errors pass through unchanged; completion with a partly received frame becomes `ERR_FRAME_TRUNCATED`.
 * Unsubscribing unsubscribes from the source, stops a chunk that is being decoded and drops buffered bytes.
 *
 * @internal
 * @param createDecoder makes the decoder for one subscription
 * @param batch emit `Buffer[]` per chunk instead of `Buffer` per frame
 * @returns the operator
 */
export function decodeFrames(
  createDecoder: () => FrameDecoder,
  batch: boolean,
): OperatorFunction<Buffer, Buffer | Buffer[]> {
  return (source) =>
    new Observable<Buffer | Buffer[]>((subscriber) => {
      const decoder = createDecoder();
      // Registered before subscribing, so a consumer that leaves during a synchronous source's first chunk
      // stops the decoder at once (the returned teardown would only be registered after that chunk).
      subscriber.add(() => decoder.dispose());
      let frames: Buffer[] = [];
      const emit = batch
        ? (frame: Buffer): void => {
            frames.push(frame);
          }
        : (frame: Buffer): void => {
            subscriber.next(frame);
          };
      return source.subscribe({
        next: (chunk) => {
          // A synchronous source keeps calling us until it sees our teardown; ignore it once we are closed.
          if (subscriber.closed) return;
          let failed = false;
          let failure: unknown;
          try {
            decoder.push(chunk, emit);
          } catch (error) {
            failed = true;
            failure = error;
          }
          if (frames.length > 0) {
            const completed = frames;
            frames = [];
            subscriber.next(completed);
          }
          if (failed) subscriber.error(failure);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (subscriber.closed) return;
          try {
            decoder.end();
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.complete();
        },
      });
    });
}
