import { type Backend, embeddedBackend, nodeBackend, uringBackend, uringSupport } from '../../src/index.js';

/** One backend the shared socket tests run on. */
export interface BackendCase {
  readonly name: string;
  /** A fresh backend for one test. */
  make(): Backend;
}

/**
 * Whether the io_uring backend runs in the shared tests: wherever it is available, and always under CI (where a
 * missing ring then fails the tests, loudly, instead of dropping the cases).
 */
export const withUring = uringSupport().available || process.env.CI !== undefined || process.env.RXLOOP_REQUIRE_URING === '1';

/** The same tests run on every backend: real loopback sockets (libuv, io_uring) and the in-memory one. */
export const backendCases: readonly BackendCase[] = [
  { name: 'node', make: () => nodeBackend() },
  ...(withUring ? [{ name: 'uring', make: () => uringBackend() }] : []),
  { name: 'embedded', make: () => embeddedBackend() },
  {
    name: 'embedded (1-3 byte fragments)',
    make: () => {
      let seed = 7;
      const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 3) + 1;
      return embeddedBackend({
        fragment: (chunk) => {
          const parts: Buffer[] = [];
          for (let i = 0; i < chunk.length; ) {
            const n = random();
            parts.push(chunk.subarray(i, i + n));
            i += n;
          }
          return parts;
        },
      });
    },
  },
];
