import { Observable } from 'rxjs';
import type { Connection } from '../Connection.js';
import type { ConnectionClosed } from '../ConnectionClosed.js';
import type { DemandState } from '../DemandState.js';
import { BACKLOGGED, DRAINING, OUTPUT_ENDED } from './connectionFlags.js';
import { CLOSED, ConnectionTeardown, DEMAND, DRAINING_KIND, WRITABLE } from './ConnectionTeardown.js';
import { subscribeReadable } from './readerLine.js';
import { addSubscriber } from './subscriberList.js';

// The Observables of a Connection other than data$ (which is on its hot path and lives in Connection.ts). Each
// is created on first use, because most connections never touch most of them.

/** The Observable behind `connection.readable$`. @internal */
export function makeReadable(connection: Connection): Observable<Connection> {
  return new Observable<Connection>((subscriber) => subscribeReadable(connection, subscriber));
}

/** The Observable behind `connection.writable$`. @internal */
export function makeWritable(connection: Connection): Observable<Connection> {
  return new Observable<Connection>((subscriber) => {
    if ((connection.flags & OUTPUT_ENDED) !== 0 || connection.closedWith !== undefined) {
      subscriber.complete();
      return;
    }
    const rare = connection.rareState();
    rare.writableSubscribers = addSubscriber(rare.writableSubscribers, subscriber);
    if ((connection.flags & BACKLOGGED) === 0) subscriber.next(connection);
    return new ConnectionTeardown(connection, subscriber, WRITABLE);
  });
}

/** The Observable behind `connection.closed$`. @internal */
export function makeClosed(connection: Connection): Observable<ConnectionClosed> {
  return new Observable<ConnectionClosed>((subscriber) => {
    if (connection.closedWith !== undefined) {
      subscriber.next(connection.closedWith);
      subscriber.complete();
      return;
    }
    const rare = connection.rareState();
    rare.closedSubscribers = addSubscriber(rare.closedSubscribers, subscriber);
    return new ConnectionTeardown(connection, subscriber, CLOSED);
  });
}

/** The Observable behind `connection.demand$`. @internal */
export function makeDemand(connection: Connection): Observable<DemandState> {
  return new Observable<DemandState>((subscriber) => {
    subscriber.next(connection.demand);
    if (connection.closedWith !== undefined) {
      subscriber.complete();
      return;
    }
    const rare = connection.rareState();
    rare.demandSubscribers = addSubscriber(rare.demandSubscribers, subscriber);
    return new ConnectionTeardown(connection, subscriber, DEMAND);
  });
}

/** The Observable behind `connection.draining$`. @internal */
export function makeDraining(connection: Connection): Observable<void> {
  return new Observable<void>((subscriber) => {
    if ((connection.flags & DRAINING) !== 0) {
      subscriber.next();
      subscriber.complete();
      return;
    }
    if (connection.closedWith !== undefined) {
      subscriber.complete();
      return;
    }
    const rare = connection.rareState();
    rare.drainingSubscribers = addSubscriber(rare.drainingSubscribers, subscriber);
    return new ConnectionTeardown(connection, subscriber, DRAINING_KIND);
  });
}
