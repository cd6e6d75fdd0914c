import type { Observable, Subscription } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import type { ReadMeter } from '../src/ReadMeter.js';
import { runInHandlerContext, type TaskRunner } from '../src/HandlerContext.js';
import { serveConnection, serveEach, type HandleEvent, type Handler } from '../operators/handle.js';
import { afterProxyHeader, settle, type ProxyProtocolOptions, type ProxyProtocolSettings } from '../operators/readProxyHeader.js';
import { diagnostics } from '../src/diagnostics/channels.js';
import { processMetrics } from '../src/diagnostics/ProcessMetrics.js';
import type { ReactorScheduler } from './ReactorScheduler.js';
import type { ReactorStats, ServerEvent } from './Topology.js';

/**
 * How long a connection whose handler has finished may take to flush its last bytes before it is reset: a peer
 * that never reads must not hold a finished connection (and its memory) for ever.
 */
const CLOSE_LINGER = 30_000;

/** Options for a {@link HandlerHost}. @internal */
export interface HandlerHostOptions {
  /** The reactor's name in stats and events. */
  readonly reactor: string;
  /** The handler to run per connection. */
  readonly handler: Handler;
  /** The reactor's scheduler (counts its tasks as events). */
  readonly scheduler?: ReactorScheduler;
  /** Where `offload` sends tasks (inline when absent). */
  readonly taskRunner?: TaskRunner;
  /** Bytes one connection may dispatch per turn of the loop before it is paused until the next turn. */
  readonly bytesPerTurn?: number;
  /** Told of handler errors. */
  readonly onEvent?: (event: ServerEvent) => void;
  /** Read a PROXY protocol header before the handler sees the connection. */
  readonly proxyProtocol?: ProxyProtocolOptions;
}

/**
 * Runs a handler over a stream of connections on one reactor: calls the handler per connection inside the
 * handler context (so `offload` finds its task runner), closes each connection when its pipeline ends,
 * contains handler errors to their connection, enforces the per-turn fairness budget, and keeps the
 * reactor's counters.
 *
 * @internal
 */
export class HandlerHost {
  private readonly options: HandlerHostOptions;
  private readonly open = new Set<Connection>();
  private accepted = 0;
  private closedBytesIn = 0;
  private closedBytesOut = 0;
  private handlerErrors = 0;
  private peerResets = 0;
  private readonly turns: TurnMeter;
  private readonly proxy: ProxyProtocolSettings | undefined;

  constructor(options: HandlerHostOptions) {
    this.options = options;
    this.turns = new TurnMeter(options.bytesPerTurn ?? 256 * 1024);
    this.proxy = options.proxyProtocol === undefined ? undefined : settle(options.proxyProtocol);
    processMetrics(); // from now on, this process's connections are counted for the metrics in `stats()`
  }

  /** Connections open now. */
  get connections(): ReadonlySet<Connection> {
    return this.open;
  }

  /** Begins the drain of every open connection (see `Connection.draining$`). */
  drain(): void {
    for (const connection of [...this.open]) connection.drain();
  }

  /** Resets every connection still open: the stop deadline has come. */
  cutOff(): void {
    for (const connection of [...this.open]) connection.abort();
  }

  /** This reactor's counters now. */
  stats(extra: Partial<ReactorStats> = {}): ReactorStats {
    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    for (const connection of this.open) {
      bytesIn += connection.bytesRead;
      bytesOut += connection.bytesWritten;
    }
    return {
      reactor: this.options.reactor,
      connections: this.open.size,
      accepted: this.accepted,
      bytesIn,
      bytesOut,
      events: this.turns.dispatched + (this.options.scheduler?.tasksRun ?? 0),
      handlerErrors: this.handlerErrors,
      peerResets: this.peerResets,
      metrics: processMetrics().reactor(this.options.reactor, this.open),
      ...extra,
    };
  }

  /**
   * Serves every connection of `connections$`. The returned Observable completes when the source has completed
   * and every handler has finished; unsubscribing stops every handler and closes every connection.
   */
  serve(connections$: Observable<Connection>): Observable<never> {
    return serveEach<never>(connections$, (connection, _report, done) => this.run(connection, done));
  }

  private run(connection: Connection, done: () => void): Subscription {
    this.accepted++;
    this.open.add(connection);
    connection.setMeter(this.turns);
    connection.onClosed(() => {
      this.open.delete(connection);
      this.closedBytesIn += connection.bytesRead;
      this.closedBytesOut += connection.bytesWritten;
      connection.setMeter(undefined);
    });
    const { handler, taskRunner, reactor } = this.options;
    if (diagnostics.handlerStart.hasSubscribers) diagnostics.handlerStart.publish({ reactor, connection });
    const run = () => runInHandlerContext({ connection, taskRunner }, () => handler(connection));
    const proxy = this.proxy;
    // The same rules as the public `handle()` operator: an error costs its own connection only.
    return serveConnection(
      connection,
      proxy === undefined ? run : () => afterProxyHeader(connection, proxy, run),
      CLOSE_LINGER,
      (event) => this.report(event),
      done,
    );
  }

  private report(event: HandleEvent): void {
    if (event.type === 'peer-reset') {
      // An ordinary event: counted in the stats, never reported as a fault.
      this.peerResets++;
      return;
    }
    this.handlerErrors++;
    if (diagnostics.handlerError.hasSubscribers) diagnostics.handlerError.publish({ reactor: this.options.reactor, ...event });
    this.options.onEvent?.({ type: 'handler-error', reactor: this.options.reactor, code: event.code, message: event.message });
  }
}

/**
 * The per-turn fairness budget of one host's connections: a connection that dispatched more than `budget` bytes
 * in a turn is held until the next turn, so one busy client cannot starve the others.
 */
class TurnMeter implements ReadMeter {
  turn = 0;
  dispatched = 0;
  private scheduled = false;
  private readonly paused: (() => void)[] = [];
  private readonly nextTurn = (): void => {
    this.scheduled = false;
    this.turn++;
    for (const release of this.paused.splice(0)) release();
  };

  constructor(readonly budget: number) {}

  turnStarted(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.nextTurn);
  }

  exceeded(connection: Connection): void {
    this.paused.push(connection.hold());
    this.turnStarted();
  }
}
