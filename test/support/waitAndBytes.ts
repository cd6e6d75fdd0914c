/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` every 5 ms; throws, naming `what`, if it is not true within `ms`. `what` may be a function,
 * so a failure says how far it got when the time ran out.
 */
export async function until(condition: () => boolean, what: string | (() => string), ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`expected ${typeof what === 'string' ? what : what()} within ${ms} ms`);
    await sleep(5);
  }
}

/** `size` pseudo-random bytes, the same for the same `seed` (a linear congruential generator). */
export function payload(size: number, seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = x >>> 16;
  }
  return bytes;
}
