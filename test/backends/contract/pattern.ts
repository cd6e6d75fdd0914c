/** `length` bytes of a pattern that shows any loss, duplication or reordering. */
export function pattern(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 8) * 13) & 0xff;
  return bytes;
}

/** A seeded PRNG (mulberry32): the same seed gives the same fragmentation in every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `chunk` into random pieces of 1 to `max` bytes (views, in order). */
export function randomPieces(chunk: Buffer, random: () => number, max: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < chunk.length; ) {
    const size = 1 + Math.floor(random() * max);
    pieces.push(chunk.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

/** An embedded backend `fragment` option that splits each write into random pieces of 1 to `max` bytes. */
export function randomFragments(random: () => number, max: number): (chunk: Buffer) => Buffer[] {
  return (chunk) => randomPieces(chunk, random, max);
}
