import type { Observable } from 'rxjs';
import type { BufferSource, ProvidedReads, ReadMode, SocketAddress } from '../backends/Backend.js';
import type { Connection } from '../Connection.js';
import type { ConnectionClosed } from '../ConnectionClosed.js';
import type { DemandState } from '../DemandState.js';
import type { RxloopError } from '../errors.js';
import type { Subscribers } from './subscriberList.js';

/**
 * A reader that asked to read while other readers were reading: it waits its turn, in order, and starts when
 * the readers before it are done (or is finished, if the input ends first).
 *
 * @internal
 */
export interface WaitingReader {
  readonly mode: ReadMode;
  /** Joins the connection's active readers (the connection has already switched to `mode`). */
  start(): void;
  /** The input ended (`undefined`) or the connection failed before this reader's turn. */
  finish(error: RxloopError | undefined): void;
  /** The buffers a leased reader reads into, or a provided reader's credit. */
  readonly source?: BufferSource | ProvidedReads;
}

/**
 * The parts of a connection that most connections never use, created on first use: idle connections are many,
 * and each field here would otherwise be paid for by every one of them.
 *
 * @internal
 */
export interface RareState {
  readable$: Observable<Connection> | undefined;
  writable$: Observable<Connection> | undefined;
  closed$: Observable<ConnectionClosed> | undefined;
  demand$: Observable<DemandState> | undefined;
  draining$: Observable<void> | undefined;
  readableSubscribers: Subscribers<Connection>;
  writableSubscribers: Subscribers<Connection>;
  closedSubscribers: Subscribers<ConnectionClosed>;
  demandSubscribers: Subscribers<DemandState>;
  drainingSubscribers: Subscribers<void>;
  leasedReader: ((chunks: readonly Buffer[]) => void) | undefined;
  leasedEnd: ((error: RxloopError | undefined) => void) | undefined;
  /** Readers waiting for their turn, oldest first. */
  waiting: WaitingReader[] | undefined;
  lingerTimer: { unsubscribe(): void } | undefined;
  /** Runs while the output queue is over the soft output limit. */
  softLimitTimer: { unsubscribe(): void } | undefined;
  /** Why the connection reset itself (the output limit), reported as its close error. */
  abortReason: RxloopError | undefined;
  /** The client's address from a PROXY protocol header, which `remoteAddress` returns instead of the peer's. */
  remoteAddress: SocketAddress | undefined;
}

/** A fresh, empty {@link RareState}. @internal */
export function createRareState(): RareState {
  return {
    readable$: undefined,
    writable$: undefined,
    closed$: undefined,
    demand$: undefined,
    draining$: undefined,
    readableSubscribers: undefined,
    writableSubscribers: undefined,
    closedSubscribers: undefined,
    demandSubscribers: undefined,
    drainingSubscribers: undefined,
    leasedReader: undefined,
    leasedEnd: undefined,
    waiting: undefined,
    lingerTimer: undefined,
    softLimitTimer: undefined,
    abortReason: undefined,
    remoteAddress: undefined,
  };
}
