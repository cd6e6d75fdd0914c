import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { prometheusText, type ReactorStats } from '../../schedulers/index.js';
import type { ReactorMetrics } from '../../src/index.js';
import { promtoolProblems } from '../support/promtool.js';

const metrics: ReactorMetrics = {
  pausedConnections: 2,
  writeBacklogBytes: 4096,
  handlerErrors: { ERR_FRAME_TOO_LONG: 3, ERR_TIMEOUT: 1 },
  connectionDuration: { bounds: [0.1, 1], counts: [4, 1, 2], sum: 9.5, count: 7 },
  rejectedConnections: 5,
  acceptErrors: 0,
  tlsHandshakeFailures: { ERR_TIMEOUT: 2, ERR_TLS: 1 },
  tlsHandshakeFailureReasons: { timeout: 2, plaintext: 1 },
  tlsHandshakes: 40,
  proxyHeaders: { proxy: 10, local: 3, rejected: 1 },
  eventLoop: { delay: { min: 0, max: 0.02, mean: 0.001, stddev: 0.002, p50: 0.0005, p90: 0.002, p99: 0.015 }, utilization: 0.25, activeSeconds: 1.5, idleSeconds: 8.5 },
};
const base = { connections: 7, accepted: 30, bytesIn: 1000, bytesOut: 2000, events: 55, handlerErrors: 4, peerResets: 1 };
const reactors: ReactorStats[] = [
  { reactor: 'acceptor', ...base, bytesIn: 0, bytesOut: 0 },
  { reactor: 'sub-0', ...base, metrics, tasksInFlight: 3 },
  { reactor: 'we"ird\\name\n', ...base, metrics },
];

test('one family per metric, one series per reactor; counters end in _total; histograms are cumulative', () => {
  const text = prometheusText({ at: 0, reactors }, { rxloop_ready: { help: 'Ready.', value: 1 } });
  const lines = text.split('\n');
  assert.ok(text.endsWith('\n'));
  assert.ok(lines.includes('rxloop_ready 1'));
  assert.ok(lines.includes('rxloop_active_connections{reactor="sub-0"} 7'));
  assert.ok(lines.includes('rxloop_network_io_bytes_total{reactor="sub-0",network_io_direction="transmit"} 2000'));
  assert.ok(lines.includes('rxloop_handler_errors_total{reactor="acceptor"} 4'), 'without detail, the plain count');
  assert.ok(lines.includes('rxloop_handler_errors_total{reactor="sub-0",error_type="ERR_FRAME_TOO_LONG"} 3'));
  assert.ok(lines.includes('rxloop_connection_duration_seconds_bucket{reactor="sub-0",le="0.1"} 4'));
  assert.ok(lines.includes('rxloop_connection_duration_seconds_bucket{reactor="sub-0",le="1"} 5'));
  assert.ok(lines.includes('rxloop_connection_duration_seconds_bucket{reactor="sub-0",le="+Inf"} 7'));
  assert.ok(lines.includes('rxloop_connection_duration_seconds_sum{reactor="sub-0"} 9.5'));
  assert.ok(lines.includes('rxloop_offload_tasks_in_flight{reactor="sub-0"} 3'));
  assert.ok(lines.includes('rxloop_tls_handshake_failures_total{reactor="sub-0",error_type="ERR_TIMEOUT",reason="timeout"} 2'));
  assert.ok(lines.includes('rxloop_tls_handshake_failures_total{reactor="sub-0",error_type="ERR_TLS",reason="plaintext"} 1'));
  assert.ok(lines.includes('rxloop_tls_handshakes_total{reactor="sub-0"} 40'));
  assert.ok(lines.includes('rxloop_proxy_protocol_headers_total{reactor="sub-0",result="local"} 3'));
  assert.ok(lines.includes('nodejs_eventloop_delay_p99_seconds{reactor="sub-0"} 0.015'));
  assert.ok(lines.includes('nodejs_eventloop_time_seconds_total{reactor="sub-0",nodejs_eventloop_state="idle"} 8.5'));
  assert.ok(lines.includes('rxloop_paused_connections{reactor="we\\"ird\\\\name\\n"} 2'), 'label values are escaped');
  assert.not.ok(lines.some((line) => line.startsWith('rxloop_paused_connections{reactor="acceptor"')), 'no made-up zeros');
  for (const line of lines.filter((l) => l.startsWith('# TYPE ') && l.endsWith(' counter'))) assert.ok(line.split(' ')[2]!.endsWith('_total'), line);
  const types = lines.filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]);
  assert.is(new Set(types).size, types.length, 'each family once');
});

test('promtool check metrics finds nothing to say', () => {
  assert.is(promtoolProblems(prometheusText({ at: 0, reactors }, { rxloop_ready: { help: 'Ready.', value: 0 } })), '');
  assert.is(promtoolProblems(prometheusText({ at: 0, reactors: [] })), '');
});

test.run();
