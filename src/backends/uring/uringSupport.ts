import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The io_uring operations rxloop's ring backend is built from. */
export type UringOp =
  | 'accept'
  | 'connect'
  | 'recv'
  | 'send'
  | 'sendmsg'
  | 'shutdown'
  | 'close'
  | 'asyncCancel'
  | 'pollAdd'
  | 'socket'
  | 'sendZc'
  | 'provideBuffers';

/** What the running kernel answered when asked, ring by ring (see {@link uringSupport}). */
export interface UringKernelProbe {
  /** A ring could be set up (`io_uring_setup`). */
  readonly setup: boolean;
  /** The `IORING_FEAT_*` bits the kernel reported for a plain ring. */
  readonly features: number;
  /** A ring with `IORING_SETUP_SINGLE_ISSUER` could be set up. */
  readonly singleIssuer: boolean;
  /** A ring with `IORING_SETUP_DEFER_TASKRUN` (and single issuer) could be set up. */
  readonly deferTaskrun: boolean;
  /** A provided buffer ring (`IORING_REGISTER_PBUF_RING`, the memory receives complete into) registered. */
  readonly providedBufferRings: boolean;
  /** Each operation, as `IORING_REGISTER_PROBE` answered (all false where the kernel has no op probe). */
  readonly ops: Readonly<Record<UringOp, boolean>>;
}

/** Whether io_uring can run here, and if not, why (see {@link uringSupport}). */
export interface UringSupport {
  /** The native addon is built and loads, and the kernel offers every operation and feature rxloop needs. */
  readonly available: boolean;
  /** Why not, in words, when `available` is false. */
  readonly reason: string | undefined;
  /** The kernel's answers, when the addon loaded (undefined otherwise). */
  readonly kernel: UringKernelProbe | undefined;
}

/** What the addon's probe() returns. */
interface RawProbe {
  setupErrno: number;
  features: number;
  singleIssuer: boolean;
  deferTaskrun: boolean;
  opsKnown: boolean;
  pbufRingErrno: number;
  ops: Record<UringOp, boolean>;
}

/** Without these, a ring cannot serve sockets the way rxloop reads and writes them. */
const REQUIRED_OPS: readonly UringOp[] = ['accept', 'connect', 'recv', 'send', 'sendmsg', 'shutdown', 'close', 'asyncCancel'];

function errnoName(errno: number): string {
  const name = Object.entries(constants.errno).find(([, value]) => value === errno)?.[0];
  return name === undefined ? `errno ${errno}` : name;
}

function buildStatus(buildDir: string): string {
  try {
    const status = JSON.parse(readFileSync(`${buildDir}/status.json`, 'utf8')) as { built?: boolean; reason?: string };
    if (status.built === false && typeof status.reason === 'string') return status.reason;
  } catch {
    // No status: the install step did not run (npm --ignore-scripts, or a copy of the sources).
  }
  return 'the install step did not run; `npm rebuild rxloop` builds it';
}

function judge(raw: RawProbe): UringSupport {
  const kernel: UringKernelProbe = {
    setup: raw.setupErrno === 0,
    features: raw.features,
    singleIssuer: raw.singleIssuer,
    deferTaskrun: raw.deferTaskrun,
    providedBufferRings: raw.pbufRingErrno === 0,
    ops: { ...raw.ops },
  };
  let reason: string | undefined;
  if (raw.setupErrno !== 0) {
    const hint = raw.setupErrno === constants.errno.EPERM ? ' (kernel.io_uring_disabled, or a seccomp filter such as a container runtime\'s)' : '';
    reason = `io_uring_setup failed with ${errnoName(raw.setupErrno)}${hint}`;
  } else if (!raw.opsKnown) {
    reason = 'the kernel does not answer IORING_REGISTER_PROBE (older than 5.6)';
  } else if (REQUIRED_OPS.some((op) => !raw.ops[op])) {
    reason = `the kernel lacks io_uring operations ${REQUIRED_OPS.filter((op) => !raw.ops[op]).join(', ')}`;
  } else if (raw.pbufRingErrno !== 0) {
    reason = `the kernel cannot register a provided buffer ring (${errnoName(raw.pbufRingErrno)}; it needs 5.19 or later)`;
  }
  return { available: reason === undefined, reason, kernel };
}

/**
 * Loads the addon from `buildDir` and asks the kernel.
 *
 * @internal exported for tests, which point it at a folder with no addon
 */
export function probeUringAt(buildDir: string): UringSupport {
  if (process.platform !== 'linux') return { available: false, reason: `io_uring is Linux only; this is ${process.platform}`, kernel: undefined };
  const file = `${buildDir}/Release/rxloop_uring.node`;
  if (!existsSync(file)) return { available: false, reason: `the native addon is not built: ${buildStatus(buildDir)}`, kernel: undefined };
  let addon: { probe(): RawProbe };
  try {
    addon = createRequire(import.meta.url)(file) as { probe(): RawProbe };
  } catch (error) {
    return { available: false, reason: `the native addon does not load: ${(error as Error).message}`, kernel: undefined };
  }
  return judge(addon.probe());
}

/** native/build, from dist/src/backends/uring/ (built) or src/backends/uring/ (sources). */
const BUILD_DIR = fileURLToPath(new URL('../../../../native/build', import.meta.url));
const SOURCE_BUILD_DIR = fileURLToPath(new URL('../../../native/build', import.meta.url));

let cached: UringSupport | undefined;

/**
 * Whether io_uring can run here, found by asking the kernel (never from its version string): the native
 * addon, built from source at `npm install` where it can be, sets up rings with each flag rxloop may use, asks
 * which operations exist and registers a provided buffer ring. The answer is computed once per thread.
 *
 * This release has no io_uring backend yet, so `backend: 'auto'` picks the node backend; the answer here says
 * what the kernel and the build offer for it, and `selectBackend('uring')` includes it in its error.
 *
 * ## Example
 * ```ts
 * import { uringSupport } from 'rxloop';
 *
 * const support = uringSupport();
 * console.log(support.available ? 'io_uring works here' : `no io_uring: ${support.reason}`);
 * ```
 *
 * @returns what is supported, and the reason when it is not
 */
export function uringSupport(): UringSupport {
  cached ??= probeUringAt(existsSync(BUILD_DIR) ? BUILD_DIR : SOURCE_BUILD_DIR);
  return cached;
}
