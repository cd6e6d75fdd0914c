import type { HistogramSnapshot } from '../src/diagnostics/DurationHistogram.js';
import type { ReactorMetrics } from '../src/diagnostics/ProcessMetrics.js';
import { handshakeFailureCode, type HandshakeFailureReason } from '../src/tls/handshakeFailureReason.js';
import type { ReactorStats, ServerStats } from './Topology.js';

/**
 * The content type of {@link prometheusText}'s output (Prometheus text exposition format 0.0.4).
 *
 * ## Example
 * ```ts
 * import { PROMETHEUS_CONTENT_TYPE } from 'rxloop/schedulers';
 *
 * const headers = { 'content-type': PROMETHEUS_CONTENT_TYPE };
 * ```
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [labels: Labels, value: number, suffix?: string];

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly samples: (reactor: ReactorStats, metrics: ReactorMetrics | undefined) => readonly Sample[];
}

const none: readonly Sample[] = [];
const one = (value: number | undefined): readonly Sample[] => (value === undefined ? none : [[{}, value]]);
const detail = <T>(metrics: ReactorMetrics | undefined, pick: (m: ReactorMetrics) => T): T | undefined =>
  metrics === undefined ? undefined : pick(metrics);
const byCode = (counts: Readonly<Record<string, number>> | undefined): readonly Sample[] =>
  Object.entries(counts ?? {}).map(([code, value]) => [{ error_type: code }, value]);

/**
 * The metric families, named after OpenTelemetry's conventions where one exists (Kestrel's connection
 * metrics; Node.js's event loop metrics) and Prometheus's rules: base units in the name, `_total` on counters.
 * Every series has a `reactor` label, one value per reactor of the server (bounded by the topology).
 */
const families: readonly Family[] = [
  { name: 'rxloop_active_connections', type: 'gauge', help: 'Connections open now (kestrel.active_connections).',
    samples: (r) => one(r.connections) },
  { name: 'rxloop_accepted_connections_total', type: 'counter', help: 'Connections accepted since start.',
    samples: (r) => one(r.accepted) },
  { name: 'rxloop_rejected_connections_total', type: 'counter',
    help: 'Connections closed as soon as accepted, at maxConnections or while draining (kestrel.rejected_connections).',
    samples: (_, m) => one(detail(m, (x) => x.rejectedConnections)) },
  { name: 'rxloop_accept_errors_total', type: 'counter', help: 'Accepts that failed while the server went on (EMFILE, ...).',
    samples: (_, m) => one(detail(m, (x) => x.acceptErrors)) },
  { name: 'rxloop_connection_duration_seconds', type: 'histogram', help: 'How long connections lasted (kestrel.connection.duration).',
    samples: (_, m) => (m === undefined ? none : histogram(m.connectionDuration)) },
  { name: 'rxloop_network_io_bytes_total', type: 'counter', help: 'Bytes received and sent on connections (network.io.direction).',
    samples: (r) => [[{ network_io_direction: 'receive' }, r.bytesIn], [{ network_io_direction: 'transmit' }, r.bytesOut]] },
  { name: 'rxloop_events_dispatched_total', type: 'counter', help: 'Read completions and scheduled tasks dispatched to handlers.',
    samples: (r) => one(r.events) },
  { name: 'rxloop_handler_errors_total', type: 'counter', help: 'Handlers that failed, by error code; each cost its own connection only.',
    samples: (r, m) => (m === undefined ? one(r.handlerErrors) : byCode(m.handlerErrors)) },
  { name: 'rxloop_peer_resets_total', type: 'counter', help: 'Connections the peer reset (ordinary events, not faults).',
    samples: (r) => one(r.peerResets) },
  { name: 'rxloop_paused_connections', type: 'gauge', help: 'Open connections not reading because of backpressure.',
    samples: (_, m) => one(detail(m, (x) => x.pausedConnections)) },
  { name: 'rxloop_write_backlog_bytes', type: 'gauge', help: 'Bytes written and not yet handed to the operating system.',
    samples: (_, m) => one(detail(m, (x) => x.writeBacklogBytes)) },
  { name: 'rxloop_offload_tasks_in_flight', type: 'gauge', help: 'Offloaded tasks waiting or running on the worker pool.',
    samples: (r) => one(r.tasksInFlight) },
  { name: 'rxloop_tls_handshakes_total', type: 'counter', help: 'TLS handshakes with clients that completed.',
    samples: (_, m) => one(detail(m, (x) => x.tlsHandshakes)) },
  { name: 'rxloop_tls_handshake_failures_total', type: 'counter',
    help: 'TLS handshakes that failed or timed out, by error code and reason (timeout, plaintext, protocol, negotiation, certificate, reset, other).',
    samples: (_, m) => (m === undefined ? none : Object.entries(m.tlsHandshakeFailureReasons).map(([reason, value]) =>
      [{ error_type: handshakeFailureCode(reason as HandshakeFailureReason), reason }, value ?? 0])) },
  { name: 'rxloop_proxy_protocol_headers_total', type: 'counter',
    help: 'PROXY protocol headers: relayed (proxy), the balancer\'s own (local), and connections rejected for theirs.',
    samples: (_, m) => (m === undefined ? none : (['proxy', 'local', 'rejected'] as const).map((result) => [{ result }, m.proxyHeaders[result]])) },
  ...(['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const).map((stat): Family => ({
    name: `nodejs_eventloop_delay_${stat}_seconds`, type: 'gauge',
    help: `Event loop delay, ${stat}, since the previous sample (nodejs.eventloop.delay.${stat}).`,
    samples: (_, m) => one(detail(m, (x) => x.eventLoop.delay[stat])),
  })),
  { name: 'nodejs_eventloop_utilization_ratio', type: 'gauge', help: 'Share of time the event loop was busy since the previous sample (nodejs.eventloop.utilization).',
    samples: (_, m) => one(detail(m, (x) => x.eventLoop.utilization)) },
  { name: 'nodejs_eventloop_time_seconds_total', type: 'counter', help: 'Time the event loop spent active and idle (nodejs.eventloop.time).',
    samples: (_, m) => (m === undefined ? none : [
      [{ nodejs_eventloop_state: 'active' }, m.eventLoop.activeSeconds],
      [{ nodejs_eventloop_state: 'idle' }, m.eventLoop.idleSeconds],
    ]) },
];

function histogram(h: HistogramSnapshot): readonly Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  h.bounds.forEach((bound, i) => {
    cumulative += h.counts[i] ?? 0;
    samples.push([{ le: String(bound) }, cumulative, '_bucket']);
  });
  samples.push([{ le: '+Inf' }, h.count, '_bucket'], [{}, h.sum, '_sum'], [{}, h.count, '_count']);
  return samples;
}

/**
 * Writes a server's stats in the Prometheus text exposition format, ready to serve at `/metrics`: what the
 * `--admin` endpoint of `rxloop serve` answers. One series per reactor and label set; the detailed families
 * (durations, errors by code, paused connections, the event loop) come from `ReactorStats.metrics`, which
 * every topology fills in, in the process that runs the reactor.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { firstValueFrom } from 'rxjs';
 * import { PROMETHEUS_CONTENT_TYPE, prometheusText, serve } from 'rxloop/schedulers';
 *
 * const server = await serve('./handler.js', { port: 7000 });
 * createServer(async (request, response) => {
 *   response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
 *   response.end(prometheusText(await firstValueFrom(server.stats$)));
 * }).listen(9464, '127.0.0.1');
 * ```
 *
 * @param stats a snapshot from `server.stats$`
 * @param extra server-wide gauges to add, without a reactor label (`{ rxloop_ready: 1 }`)
 * @returns the exposition text
 */
export function prometheusText(stats: ServerStats, extra: Readonly<Record<string, { readonly help: string; readonly value: number }>> = {}): string {
  const lines: string[] = [];
  for (const [name, { help, value }] of Object.entries(extra)) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${number(value)}`);
  }
  for (const family of families) {
    const rows: string[] = [];
    for (const reactor of stats.reactors) {
      for (const [labels, value, suffix] of family.samples(reactor, reactor.metrics)) {
        rows.push(`${family.name}${suffix ?? ''}${labelText({ reactor: reactor.reactor, ...labels })} ${number(value)}`);
      }
    }
    if (rows.length === 0) continue;
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`, ...rows);
  }
  return `${lines.join('\n')}\n`;
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${parts.join(',')}}`;
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
