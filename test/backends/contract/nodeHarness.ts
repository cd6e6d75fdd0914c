import { nodeBackend, type NodeBackendOptions } from '../../../src/backends/node/nodeBackend.js';
import type { BackendHarness } from './BackendHarness.js';
import { realSocketsHarness } from './realSocketsHarness.js';

/**
 * The node backend on real loopback sockets.
 *
 * @param options passed to `nodeBackend` (for example `{ zeroCopyLeasedReads: false }` for the copying path)
 */
export function nodeHarness(options: NodeBackendOptions = {}): BackendHarness {
  const zeroCopy = options.zeroCopyLeasedReads !== false;
  return realSocketsHarness({
    name: zeroCopy ? 'node' : 'node (copying leased reads)',
    backend: () => nodeBackend(options),
    zeroCopyLeasedReads: zeroCopy,
  });
}
