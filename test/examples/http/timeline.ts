// Virtual-time clients for the HTTP handler tests: the handler runs as `serve` runs it, on the embedded backend
// driven by a TestScheduler, and the test compares what the clients saw, with exact times.
import * as assert from 'uvu/assert';
import { TestScheduler } from 'rxjs/testing';
import { connect, embeddedBackend, listen, type Connection, type RxloopError } from '../../../src/index.js';
import type { Handler } from '../../../operators/handle.js';
import { HandlerHost } from '../../../schedulers/HandlerHost.js';
import type { ServerEvent } from '../../../schedulers/Topology.js';

/** What one client does: at `at` virtual ms, `act` on its connection. */
export type Step = readonly [at: number, act: (connection: Connection) => void];

export interface Client {
  readonly name: string;
  readonly steps: readonly Step[];
  /** Close when the server ends its output, as real clients do (default true). */
  readonly closeOnEnd?: boolean;
}

/**
 * Runs the handler as `serve` does (under a HandlerHost, which closes each connection when its pipeline ends)
 * on the embedded backend in virtual time, and returns what the clients saw, as `"<ms> <client> <event>"`
 * lines: each response's status line, `end` (the server's FIN), `closed`; and the server's handler errors. Clients connect at 0 ms; accepts
 * and deliveries take virtual ticks of 0 ms, so times are exact.
 */
export function timeline(handler: Handler, clients: readonly Client[]): string[] {
  const log: string[] = [];
  const scheduler = new TestScheduler((a, b) => assert.equal(a, b));
  scheduler.run(() => {
    const backend = embeddedBackend({ scheduler });
    const onEvent = (event: ServerEvent): void => {
      log.push(`${scheduler.now()} server ${event.type}${event.type === 'handler-error' ? ` ${event.code}` : ''}`);
    };
    const served: Handler = (connection) => {
      connection.closed$.subscribe(() => log.push(`${scheduler.now()} server closed`));
      return handler(connection);
    };
    new HandlerHost({ reactor: 'test', handler: served, onEvent }).serve(listen({ port: 80, backend })).subscribe({
      error: (error: RxloopError) => log.push(`${scheduler.now()} server error ${error.code}`),
    });
    for (const client of clients) {
      connect({ port: 80, backend }).subscribe((connection) => {
        const note = (event: string): void => {
          log.push(`${scheduler.now()} ${client.name} ${event}`);
        };
        connection.data$.subscribe({
          next: (chunk) => {
            for (const [status] of chunk.toString('latin1').matchAll(/HTTP\/1\.1 \d{3}/g)) note(status);
          },
          complete: () => {
            note('end');
            if (client.closeOnEnd ?? true) connection.close();
          },
        });
        connection.closed$.subscribe(() => note('closed'));
        for (const [at, act] of client.steps) {
          scheduler.schedule(() => {
            if (connection.isOpen && !connection.isOutputEnded) act(connection);
          }, at);
        }
      });
    }
  });
  return log;
}

/** A step that writes `text`. */
export const write = (text: string) => (connection: Connection): void => {
  connection.write(text);
};
