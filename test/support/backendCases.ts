import { type Backend, embeddedBackend, nodeBackend } from '../../src/index.js';

/** One backend the shared socket tests run on. */
export interface BackendCase {
  readonly name: string;
  /** A fresh backend for one test. */
  make(): Backend;
}

/** The same tests run on both backends: real loopback sockets and the in-memory one. */
export const backendCases: readonly BackendCase[] = [
  { name: 'node', make: () => nodeBackend() },
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
