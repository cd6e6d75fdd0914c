import { createHash } from 'node:crypto';

/** Rounds of SHA-256 for a heavy request (`H...`); a light one (`L...`) does one. */
export const HEAVY_ROUNDS = 2000;

/**
 * The offload scenario's task: iterated SHA-256 over the request line, CPU-bound and synchronous.
 *
 * @internal
 * @param line the request line (`H` or `L` then a payload)
 * @returns the hex digest and a newline-free answer
 */
export default function sha256Task(line: Uint8Array): string {
  const rounds = line[0] === 0x48 ? HEAVY_ROUNDS : 1;
  let digest: Buffer = Buffer.from(line.buffer, line.byteOffset, line.byteLength);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
  return digest.toString('hex');
}
