import { VirtualTimeScheduler } from 'rxjs';
import type { SocketAddress, Transport } from '../../../src/backends/Backend.js';
import { EmbeddedBackend } from '../../../src/backends/embedded/EmbeddedBackend.js';
import type { EmbeddedBackendOptions } from '../../../src/backends/embedded/EmbeddedBackendOptions.js';
import type { RxloopError } from '../../../src/errors.js';
import type { BackendHarness, ContractClock, RawPeer } from './BackendHarness.js';
import { connectSpecFor } from './ContractWorld.js';
import { RawPeerLog } from './RawPeerLog.js';
import { virtualClock } from './virtualClock.js';

/**
 * A raw peer on the embedded wire: the wire has no foreign sockets, so it is another embedded transport,
 * driven directly (end, abort) and read in completion mode.
 */
async function embeddedRawPeer(backend: EmbeddedBackend, clock: ContractClock, address: SocketAddress): Promise<RawPeer> {
  let transport: Transport | undefined;
  let failure: RxloopError | undefined;
  backend.connect(connectSpecFor(address), { connected: (t) => (transport = t), failed: (e) => (failure = e) });
  await clock.until(() => transport !== undefined || failure !== undefined, 'the raw peer to connect');
  if (failure !== undefined) throw failure;
  const end = transport!;
  const log = new RawPeerLog();
  end.attach({
    readable: () => {},
    completed: (chunks) => chunks.forEach((chunk) => log.receive(chunk)),
    writable: () => {},
    ended: () => (log.ended = true),
    closed: (error) => {
      log.closed = true;
      log.errno = error?.errno;
    },
  });
  end.setReadMode('completion');
  end.setReading(true);
  return log.peer({ write: (bytes) => void end.write(bytes), end: () => end.end(), reset: () => end.abort() });
}

/**
 * The embedded backend in virtual time: a `VirtualTimeScheduler` per case, flushed to let time pass. Its Unix
 * paths are names in its own table; it has nothing to adopt.
 *
 * @param name the suite's name for this variant
 * @param options passed to the backend (fragmentation, window, high-water mark); the scheduler is the harness's
 */
export function embeddedHarness(name = 'embedded', options: Omit<EmbeddedBackendOptions, 'scheduler'> = {}): BackendHarness {
  return {
    name,
    zeroCopyLeasedReads: false,
    lacks: { adopt: 'its sockets live in memory; there is no operating-system socket to take over' },
    start() {
      const scheduler = new VirtualTimeScheduler();
      const backend = new EmbeddedBackend({ ...options, scheduler });
      const clock = virtualClock(scheduler);
      let paths = 0;
      return {
        backend,
        clock,
        unixPath: () => `/embedded/contract-${paths++}.sock`,
        rawPeer: (address) => embeddedRawPeer(backend, clock, address),
        stop: () => {},
      };
    },
  };
}
