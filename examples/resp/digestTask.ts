import { digest } from './digest.js';

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
}

/**
 * The task module `offload` runs DIGEST with: the pure {@link digest} of one {@link DigestWork}, on the worker
 * pool under `pooledReactor` and inline elsewhere. No keyspace, no I/O: only bytes in, hex out.
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
export default function digestTask(work: DigestWork): string {
  return digest(work.value, work.rounds);
}
