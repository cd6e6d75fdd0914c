import type { Connection } from '../Connection.js';
import type { WaitingReader } from './RareState.js';
import { leaveLine, removeReader } from './readerLine.js';
import { removeSubscriber } from './subscriberList.js';

/** Which list a {@link ConnectionTeardown} leaves. @internal */
export const DATA = 0;
/** @internal */
export const READABLE = 1;
/** @internal */
export const WRITABLE = 2;
/** @internal */
export const CLOSED = 3;
/** @internal */
export const DEMAND = 4;
/** @internal */
export const DRAINING_KIND = 5;
const DONE = -1;

/**
 * Ends one subscription to one of a connection's Observables: an object, not a closure, because it is paid for
 * by every idle connection.
 *
 * @internal
 */
export class ConnectionTeardown {
  /** Set while the reader waits for its turn (see `Connection`): unsubscribing then takes it out of the line. */
  waiting: WaitingReader | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly subscriber: object,
    private kind: number,
  ) {}

  unsubscribe(): void {
    const { connection, subscriber } = this;
    const kind = this.kind;
    // Idempotent: a fused `sendTo` may end its data subscription before its own teardown does it again.
    if (kind === DONE) return;
    this.kind = DONE;
    if (this.waiting !== undefined) {
      const waiting = this.waiting;
      this.waiting = undefined;
      leaveLine(connection, waiting);
      return;
    }
    if (kind === DATA) {
      const before = connection.dataSubscribers;
      connection.dataSubscribers = removeSubscriber(before, subscriber);
      // A subscriber the end of input already finished is no longer counted.
      if (connection.dataSubscribers !== before) removeReader(connection);
      return;
    }
    const rare = connection.rareState();
    switch (kind) {
      case READABLE: {
        const before = rare.readableSubscribers;
        rare.readableSubscribers = removeSubscriber(before, subscriber);
        if (rare.readableSubscribers !== before) removeReader(connection);
        break;
      }
      case WRITABLE:
        rare.writableSubscribers = removeSubscriber(rare.writableSubscribers, subscriber);
        break;
      case CLOSED:
        rare.closedSubscribers = removeSubscriber(rare.closedSubscribers, subscriber);
        break;
      case DRAINING_KIND:
        rare.drainingSubscribers = removeSubscriber(rare.drainingSubscribers, subscriber);
        break;
      default:
        rare.demandSubscribers = removeSubscriber(rare.demandSubscribers, subscriber);
    }
  }
}
