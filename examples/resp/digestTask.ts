import { createHash } from 'node:crypto';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { digest } from './digest.js';

/** Work below these sizes (a few milliseconds at most) is hashed at once. */
const AT_ONCE_ROUNDS = 2000;
const AT_ONCE_BYTES = 1024 * 1024;
/** Longer work is hashed in slices of about this long, with a turn of the event loop between them. */
const SLICE_MS = 1;

/**
 * DIGEST's CPU-heavy part, as a session hands it out of its batch (`RespSession.deferred`): the value as it was
 * read when the command ran, and the rounds. Values are never mutated once stored, so hashing it later gives
 * the same answer as hashing it then.
 *
 * ## Example
 * ```ts
 * import { Keyspace } from './Keyspace.js';
 * import { RespSession } from './RespSession.js';
 *
 * const session = new RespSession(new Keyspace(), { deferDigest: true });
 * session.handle(Buffer.from('SET k v\r\nDIGEST k 3\r\n'));
 * const work = session.deferred; // { value: <Buffer 76>, rounds: 3 }
 * ```
 */
export interface DigestWork {
  /** The stored value (a worker receives a copy); a string stands for its latin1 bytes. */
  readonly value: Uint8Array | string;
  /** How many times to hash, already checked against `MAX_DIGEST_ROUNDS`. */
  readonly rounds: number;
  /**
   * Set when the client has gone: hashing on this thread stops at its next slice (a worker pool's task is
   * aborted instead).
   */
  cancelled?: boolean;
}

/**
 * The task module `offload` runs DIGEST with: the pure {@link digest} of one {@link DigestWork}, on the worker
 * pool under `pooledReactor` and inline elsewhere. No keyspace, no I/O: only bytes in, hex out.
 *
 * Work of more than 2,000 rounds or 1 MiB is hashed in slices of about a millisecond, yielding to the event
 * loop between them, so a DIGEST of a million rounds (about a second of CPU) never stalls the other connections
 * of the thread it runs on, and stops at its next slice once `work.cancelled` is set (its client is gone): the
 * returned promise then rejects with `ERR_CANCELLED`.
 *
 * ## Example
 * ```ts
 * // handler.ts
 * import type { Connection } from 'rxloop';
 * import { offload } from 'rxloop/operators';
 * import type { DigestWork } from './digestTask.js';
 *
 * export default function handler(connection: Connection) {
 *   const hash = offload<DigestWork, string>(new URL('./digestTask.js', import.meta.url));
 *   // ... feed it the session's deferred work, in order with the other replies
 * }
 * ```
 *
 * @param work the value and the rounds
 * @returns the final digest in lowercase hex
 */
export default function digestTask(work: DigestWork): string | Promise<string> {
  if (work.rounds <= AT_ONCE_ROUNDS && work.value.length <= AT_ONCE_BYTES) return digest(work.value, work.rounds);
  return new Promise((resolve, reject) => {
    const value = typeof work.value === 'string' ? Buffer.from(work.value, 'latin1') : work.value;
    const first = createHash('sha256');
    let offset = 0;
    let hash: Buffer | undefined;
    let round = 1;
    const slice = (): void => {
      if (work.cancelled === true) {
        reject(new RxloopError(ErrorCode.CANCELLED, 'expected the DIGEST client to wait for the reply, but it has gone'));
        return;
      }
      const deadline = performance.now() + SLICE_MS;
      do {
        if (hash === undefined) {
          const end = Math.min(value.length, offset + AT_ONCE_BYTES);
          first.update(value.subarray(offset, end));
          offset = end;
          if (offset >= value.length) hash = first.digest();
        } else {
          for (let i = 0; i < 256 && round < work.rounds; i++, round++) hash = createHash('sha256').update(hash).digest();
        }
        if (hash !== undefined && round >= work.rounds) {
          resolve(hash.toString('hex'));
          return;
        }
      } while (performance.now() < deadline);
      setImmediate(slice);
    };
    slice();
  });
}
