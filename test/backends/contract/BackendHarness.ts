import type { Socket } from 'node:net';
import type { Backend, SocketAddress } from '../../../src/backends/Backend.js';

/**
 * How time passes for one backend: real time (node, uring) or a virtual scheduler (embedded). Every contract
 * case waits only through these, so the same case runs on both.
 */
export interface ContractClock {
  /**
   * Resolves once `condition()` holds; rejects, naming `what`, when it cannot happen any more (virtual time ran
   * out of work) or a generous guard passes (real time). The guard only turns a hang into a failure.
   */
  until(condition: () => boolean, what: string): Promise<void>;
  /** Lets the loop run `count` turns (default 1), for checks that something did NOT happen meanwhile. */
  turns(count?: number): Promise<void>;
  /** Runs `callback` on a later turn of the loop. */
  later(callback: () => void): void;
}

/**
 * A socket on the other end that is not a transport of the backend under test: a plain `node:net` socket for
 * real backends. It connects to an address the backend listens on, reads everything, and reports what it saw.
 */
export interface RawPeer {
  /** Sends bytes (queued as needed). */
  write(bytes: Uint8Array): void;
  /** Half-closes: sends FIN after the queued bytes. */
  end(): void;
  /** Closes at once with a reset (RST). */
  reset(): void;
  /** Everything received so far. */
  readonly received: Buffer;
  /** The backend's end of output arrived. */
  readonly ended: boolean;
  /** The socket is closed. */
  readonly closed: boolean;
  /** The errno it closed with (`'ECONNRESET'`), or undefined. */
  readonly errno: string | undefined;
}

/** What a case may need beyond TCP on 127.0.0.1. A harness that lacks one says so, with the reason. */
export type ContractNeed = 'unix' | 'rawPeer' | 'adopt';

/** One case's view of a backend: created fresh for every case by {@link BackendHarness.start}. */
export interface HarnessRun {
  /** A fresh backend. */
  readonly backend: Backend;
  /** How time passes for it. */
  readonly clock: ContractClock;
  /** A fresh Unix socket path (where the backend supports them). */
  unixPath?(): string;
  /** Connects a {@link RawPeer} to `address`, where the backend listens. */
  rawPeer?(address: SocketAddress): Promise<RawPeer>;
  /**
   * A connected socket of the kind `backend.adopt` takes (accepted elsewhere, paused, never read), and the
   * raw peer on its other end.
   */
  adoptable?(): Promise<{ readonly socket: Socket; readonly peer: RawPeer }>;
  /** Releases what the run made (temporary folders, servers). Transports and acceptors are closed before. */
  stop(): void;
}

/**
 * Everything the contract suite needs to know about one backend. Adding a backend is one harness and one
 * `runContract(harness)` line (see README.md).
 */
export interface BackendHarness {
  /** The suite's name for it (`'node'`, `'embedded (fragmented)'`). */
  readonly name: string;
  /** What `features.zeroCopyLeasedReads` its plain TCP transports report. */
  readonly zeroCopyLeasedReads: boolean;
  /** The size of the backend's own receive buffers, where its transports offer `'provided'` reads. */
  readonly providedBufferSize?: number;
  /**
   * Needs it cannot honour, each with the reason. The suite reports every case that needs one as not run, and
   * checks the declaration is true (the run offers no such helper; for `adopt`, the backend has no `adopt`).
   */
  readonly lacks?: Readonly<Partial<Record<ContractNeed, string>>>;
  /** Sets up one case. */
  start(): HarnessRun;
}
