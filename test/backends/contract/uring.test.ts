import { uringBackend, uringSupport } from '../../../src/index.js';
import { realSocketsHarness } from './realSocketsHarness.js';
import { runContract } from './runContract.js';

// CI's machines run Linux with io_uring (and .ci/run builds the addon): there a missing ring is a failure. Elsewhere
// (a laptop on macOS, a container whose seccomp filter refuses io_uring) the suite says why and runs nothing.
const support = uringSupport();
if (support.available || process.env.CI !== undefined || process.env.RXLOOP_REQUIRE_URING === '1') {
  runContract(realSocketsHarness({ name: 'uring', backend: () => uringBackend(), zeroCopyLeasedReads: true, providedBufferSize: 16384 }));
} else {
  console.warn(`contract suite: the uring backend is not run here: ${support.reason ?? 'unavailable'}`);
}
