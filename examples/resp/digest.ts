import { createHash } from 'node:crypto';

/** The most rounds `DIGEST` accepts: about a second of CPU, enough to show what offloading buys. */
export const MAX_DIGEST_ROUNDS = 1_000_000;

/**
 * The CPU-heavy work behind the `DIGEST key [rounds]` command: SHA-256 of `value`, then SHA-256 of that digest,
 * `rounds` times in all, as lowercase hex. It is a pure function of its arguments (no keyspace, no I/O), so the
 * offload stage can run it in a worker thread and send back the string.
 *
 * ## Example
 * ```ts
 * import { digest } from './digest.js';
 *
 * console.log(digest(Buffer.from('abc'), 1));
 * // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 *
 * @param value the bytes to hash (a string is its latin1 bytes)
 * @param rounds how many times to hash, 1 to {@link MAX_DIGEST_ROUNDS}
 * @returns the final digest in hex
 */
export function digest(value: Uint8Array | string, rounds: number): string {
  let hash = createHash('sha256').update(typeof value === 'string' ? Buffer.from(value, 'latin1') : value).digest();
  for (let round = 1; round < rounds; round++) hash = createHash('sha256').update(hash).digest();
  return hash.toString('hex');
}
