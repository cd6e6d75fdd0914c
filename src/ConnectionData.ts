import { Observable, type Observer, type Subscriber, type TeardownLogic } from 'rxjs';
import type { Connection } from './Connection.js';

/**
 * What {@link Connection.subscribeData} delivers to: an RxJS subscriber, or `sendTo`'s writer.
 *
 * @internal
 */
export type DataObserver = Observer<Buffer>;

/**
 * The Observable behind {@link Connection.data$}; `sendTo` recognises it to subscribe its writer directly.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 *
 * listen({ port: 0 }).subscribe((connection) => {
 *   const input = connection.data$; // a ConnectionData: an Observable<Buffer> that knows its connection
 *   input.subscribe((chunk) => console.log(chunk.length));
 * });
 * ```
 *
 * @internal
 */
export class ConnectionData extends Observable<Buffer> {
  /**
   * @param connection whose input this is
   * @param subscribe subscribes a subscriber to the input
   */
  constructor(
    readonly connection: Connection,
    subscribe: (subscriber: Subscriber<Buffer>) => TeardownLogic,
  ) {
    super(subscribe);
  }
}
