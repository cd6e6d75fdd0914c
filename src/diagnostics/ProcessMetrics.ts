import { subscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import type { Connection } from '../Connection.js';
import { ErrorCode } from '../errors.js';
import { handshakeFailureReason, type HandshakeFailureReason } from '../tls/handshakeFailureReason.js';
import type { DiagnosticsMessages } from './channels.js';
import { DurationHistogram, type HistogramSnapshot } from './DurationHistogram.js';
import { EventLoopMonitor, type EventLoopMetrics } from './EventLoopMonitor.js';

/**
 * A reactor's detailed metrics, beside its counters in `ReactorStats.metrics`: built in the process (or thread)
 * that runs the reactor and carried in its stats, so they reach the admin endpoint under every topology. The
 * listener's counts (rejections, accept errors, TLS and PROXY outcomes) and the event loop are the process's.
 *
 * ## Example
 * ```ts
 * import type { ReactorMetrics } from 'rxloop';
 *
 * const summary = (m: ReactorMetrics) =>
 *   `${m.pausedConnections} paused, ${m.writeBacklogBytes} B queued, loop p99 ${(m.eventLoop.delay.p99 * 1000).toFixed(1)} ms`;
 * ```
 */
export interface ReactorMetrics {
  /** Open connections that have a reader but are not reading: held by backpressure. */
  readonly pausedConnections: number;
  /** Bytes written to open connections and not yet handed to the operating system. */
  readonly writeBacklogBytes: number;
  /** Handler errors by error code (a bounded set: rxloop's codes, `ERR_TASK_FAILED` for anything else). */
  readonly handlerErrors: Readonly<Record<string, number>>;
  /** How long this reactor's connections lasted, in seconds, from the handler's start to the close. */
  readonly connectionDuration: HistogramSnapshot;
  /** Connections closed as soon as they were accepted (`maxConnections`, or draining). */
  readonly rejectedConnections: number;
  /** Accepts that failed while the server went on (EMFILE, ...). */
  readonly acceptErrors: number;
  /** TLS handshakes that failed, by error code (`ERR_TIMEOUT` for a stalled one, `ERR_TLS`, ...). */
  readonly tlsHandshakeFailures: Readonly<Record<string, number>>;
  /** The same failures by reason (`timeout`, `plaintext`, `protocol`, ... see `HandshakeFailureReason`). */
  readonly tlsHandshakeFailureReasons: Readonly<Partial<Record<HandshakeFailureReason, number>>>;
  /** TLS handshakes with clients that completed. */
  readonly tlsHandshakes: number;
  /** PROXY protocol headers: relayed (`proxy`), the balancer's own (`local`), and connections `rejected`. */
  readonly proxyHeaders: { readonly proxy: number; readonly local: number; readonly rejected: number };
  /** This process's event loop. */
  readonly eventLoop: EventLoopMetrics;
}

interface ReactorCounts {
  readonly handlerErrors: Record<string, number>;
  readonly durations: DurationHistogram;
}

/** What is known of a connection a reactor serves: where to count its duration, and since when. */
interface Served {
  readonly counts: ReactorCounts;
  readonly started: number;
}

/**
 * The process's collector: subscribes to the `rxloop:*` diagnostics channels (so it costs a message per
 * connection event, nothing per read) and answers each reactor's {@link ReactorMetrics}.
 *
 * @internal
 */
export class ProcessMetrics {
  private readonly reactors = new Map<string, ReactorCounts>();
  private readonly served = new WeakMap<Connection, Served>();
  private readonly loop = new EventLoopMonitor();
  private rejected = 0;
  private acceptErrors = 0;
  private readonly tlsFailures: Record<string, number> = {};
  private readonly tlsFailureReasons: Partial<Record<HandshakeFailureReason, number>> = {};
  private tlsHandshakes = 0;
  private readonly proxyHeaders = { proxy: 0, local: 0, rejected: 0 };

  constructor() {
    on('rxloop:handler:start', ({ reactor, connection }) => {
      this.served.set(connection, { counts: this.counts(reactor), started: performance.now() });
    });
    on('rxloop:connection:close', ({ connection }) => {
      const served = this.served.get(connection);
      if (served === undefined) return;
      this.served.delete(connection);
      served.counts.durations.record((performance.now() - served.started) / 1000);
    });
    on('rxloop:handler:error', ({ reactor, code }) => {
      const errors = this.counts(reactor).handlerErrors;
      errors[code] = (errors[code] ?? 0) + 1;
    });
    on('rxloop:server:reject', () => void this.rejected++);
    on('rxloop:server:accept-error', () => void this.acceptErrors++);
    on('rxloop:tls:handshake-error', ({ error }) => {
      const code = Object.values(ErrorCode).includes(error.code) ? error.code : ErrorCode.TLS;
      this.tlsFailures[code] = (this.tlsFailures[code] ?? 0) + 1;
      const reason = handshakeFailureReason(error);
      this.tlsFailureReasons[reason] = (this.tlsFailureReasons[reason] ?? 0) + 1;
    });
    on('rxloop:tls:handshake', () => void this.tlsHandshakes++);
    on('rxloop:proxy:header', ({ command }) => void this.proxyHeaders[command]++);
    on('rxloop:proxy:reject', () => void this.proxyHeaders.rejected++);
  }

  /**
   * One reactor's metrics now.
   *
   * @param reactor the reactor's name
   * @param open its open connections (for the paused and backlog gauges)
   */
  reactor(reactor: string, open: Iterable<Connection>): ReactorMetrics {
    let pausedConnections = 0;
    let writeBacklogBytes = 0;
    for (const connection of open) {
      const demand = connection.demand;
      if (demand.readers > 0 && !demand.reading && !connection.isInputEnded && connection.isOpen) pausedConnections++;
      writeBacklogBytes += connection.writableLength;
    }
    const counts = this.counts(reactor);
    return {
      pausedConnections,
      writeBacklogBytes,
      handlerErrors: { ...counts.handlerErrors },
      connectionDuration: counts.durations.snapshot(),
      rejectedConnections: this.rejected,
      acceptErrors: this.acceptErrors,
      tlsHandshakeFailures: { ...this.tlsFailures },
      tlsHandshakeFailureReasons: { ...this.tlsFailureReasons },
      tlsHandshakes: this.tlsHandshakes,
      proxyHeaders: { ...this.proxyHeaders },
      eventLoop: this.loop.snapshot(),
    };
  }

  private counts(reactor: string): ReactorCounts {
    let counts = this.reactors.get(reactor);
    if (counts === undefined) {
      counts = { handlerErrors: {}, durations: new DurationHistogram() };
      this.reactors.set(reactor, counts);
    }
    return counts;
  }
}

function on<N extends keyof DiagnosticsMessages>(name: N, listener: (message: DiagnosticsMessages[N]) => void): void {
  subscribe(name, listener as (message: unknown) => void);
}

let instance: ProcessMetrics | undefined;

/**
 * This process's collector, started on first use (a topology starts it when it starts a reactor).
 *
 * @internal
 */
export function processMetrics(): ProcessMetrics {
  return (instance ??= new ProcessMetrics());
}
