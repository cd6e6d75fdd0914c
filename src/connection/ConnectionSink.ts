import type { TransportSink } from '../backends/Backend.js';
import type { Connection } from '../Connection.js';
import type { RxloopError } from '../errors.js';

/**
 * What a connection's transport calls: one small object per connection rather than five closures.
 *
 * @internal
 */
export class ConnectionSink implements TransportSink {
  constructor(private readonly connection: Connection) {}

  readable(): void {
    const connection = this.connection;
    const subscribers = connection.rare?.readableSubscribers;
    if (subscribers === undefined) return;
    const outermost = connection.beginDelivery();
    try {
      if (!Array.isArray(subscribers)) subscribers.next(connection);
      else for (const subscriber of subscribers) subscriber.next(connection);
    } finally {
      if (outermost) connection.endDelivery();
    }
  }

  completed(chunks: readonly Buffer[]): void {
    const connection = this.connection;
    const outermost = connection.beginDelivery();
    try {
      connection.dispatch(chunks);
    } finally {
      if (outermost) connection.endDelivery();
    }
  }

  writable(): void {
    this.connection.drained();
  }

  ended(): void {
    this.connection.inputEnded();
  }

  closed(error: RxloopError | undefined): void {
    this.connection.transportClosed(error);
  }
}
