import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect, type Socket } from 'node:net';
import { multiReactor, pooledReactor, serve, serveAdmin, singleReactor, type AdminServer, type Server, type Topology } from '../../schedulers/index.js';
import { httpGet } from '../support/httpGet.js';
import { promtoolProblems } from '../support/promtool.js';
import { until } from '../backends/node/until.js';

const probeModule = new URL('../fixtures/serveMetricsProbe.js', import.meta.url);
const portOf = (server: { address: { kind: string; port?: number } }): number => server.address.port ?? 0;

/** Reads a sample's value from an exposition, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const topologies: [string, () => Topology, string][] = [
  ['single', () => singleReactor(), 'main'],
  ['pooled', () => pooledReactor({ workers: 1 }), 'main'],
  ['multi', () => multiReactor({ reactors: 2 }), 'sub-0'],
];

for (const [name, topology, reactor] of topologies) {
  const admin = suite(`serveAdmin on the ${name} topology`);
  const sockets: Socket[] = [];
  let server: Server;
  let endpoint: AdminServer;
  admin.before(async () => {
    server = await serve(probeModule, { host: '127.0.0.1', port: 0, scheduler: topology(), statsInterval: 100 });
    endpoint = await serveAdmin(server, { port: 0 });
  });
  admin.after(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await endpoint.close();
    await server.stop({ deadline: 500 });
  });

  admin('/metrics counts open and paused connections, bytes, errors by code, durations, the event loop; promtool is content', async () => {
    const open = (): Socket => {
      const socket = netConnect({ host: '127.0.0.1', port: portOf(server) });
      socket.on('error', () => undefined);
      sockets.push(socket);
      return socket;
    };
    // A peer that sends 8 MiB and never reads the echo: its echo backs up, so its reading is held (paused).
    const stubborn = open();
    stubborn.pause();
    stubborn.write(Buffer.alloc(8 << 20, 1));
    // One that fails its handler with ERR_FRAME_CORRUPT, one that comes and goes.
    open().write('boom');
    const brief = open();
    brief.end('hi');
    let text = '';
    const port = portOf(endpoint);
    const connections = `rxloop_active_connections{reactor="${reactor}"}`;
    const paused = `rxloop_paused_connections{reactor="${reactor}"}`;
    const errors = `rxloop_handler_errors_total{reactor="${reactor}",error_type="ERR_FRAME_CORRUPT"}`;
    const durations = `rxloop_connection_duration_seconds_count{reactor="${reactor}"}`;
    const multi = name === 'multi';
    const deadline = Date.now() + 15_000;
    for (;;) {
      const response = await httpGet(port, '/metrics');
      assert.is(response.status, 200);
      assert.match(response.type, /^text\/plain; version=0\.0\.4/);
      text = response.body;
      // Under the multi-reactor, connections spread over two sub-reactors: add them up.
      const total = (series: string): number => (multi
        ? (sample(text, series) ?? 0) + (sample(text, series.replace('sub-0', 'sub-1')) ?? 0)
        : sample(text, series) ?? 0);
      if (total(connections) >= 1 && total(paused) >= 1 && total(errors) >= 1 && total(durations) >= 2) break;
      if (Date.now() > deadline) assert.unreachable(`the metrics never showed the load:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok((sample(text, `rxloop_network_io_bytes_total{reactor="${reactor}",network_io_direction="receive"}`) ?? -1) >= 0);
    assert.ok(sample(text, `nodejs_eventloop_utilization_ratio{reactor="${reactor}"}`) !== undefined, 'the event loop is sampled in the reactor\'s process');
    assert.ok(sample(text, `rxloop_write_backlog_bytes{reactor="${reactor}"}`) !== undefined);
    assert.is(sample(text, 'rxloop_ready'), 1);
    if (name === 'pooled') assert.ok(sample(text, 'rxloop_offload_tasks_in_flight{reactor="main"}') !== undefined);
    if (multi) assert.ok(sample(text, 'rxloop_active_connections{reactor="acceptor"}') !== undefined);
    assert.is(promtoolProblems(text), '');
  });

  admin('/healthz, /readyz until drain(), the dashboard, the stats stream, 404 and 405', async () => {
    const port = portOf(endpoint);
    assert.equal(await httpGet(port, '/healthz'), { status: 200, type: 'text/plain', body: 'ok\n' });
    assert.is((await httpGet(port, '/readyz')).status, 200);
    const page = await httpGet(port, '/');
    assert.is(page.status, 200);
    assert.match(page.body, /<title>rxloop<\/title>/);
    const stats = JSON.parse((await httpGet(port, '/stats.json')).body) as { ready: boolean; reactors: { reactor: string }[] };
    assert.is(stats.ready, true);
    assert.ok(stats.reactors.some((r) => r.reactor === reactor));
    assert.is((await httpGet(port, '/nowhere')).status, 404);
    const events = await new Promise<string>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => socket.write('GET /stats/stream HTTP/1.1\r\nhost: x\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        if ((text.match(/\ndata: /g) ?? []).length >= 2) {
          socket.destroy();
          resolve(text);
        }
      });
    });
    assert.match(events, /content-type: text\/event-stream/i);
    endpoint.drain();
    assert.is(endpoint.ready, false);
    assert.equal(await httpGet(port, '/readyz'), { status: 503, type: 'text/plain', body: 'draining\n' });
    assert.is(sample((await httpGet(port, '/metrics')).body, 'rxloop_ready'), 0);
    assert.is((await httpGet(port, '/healthz')).status, 200, 'alive while draining');
    const post = await new Promise<string>((resolve) => {
      const socket = netConnect({ host: '127.0.0.1', port }, () => socket.end('POST /metrics HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n'));
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('close', () => resolve(text));
    });
    assert.match(post, /^HTTP\/1\.1 405/);
  });

  admin.run();
}

const errors = suite('serveAdmin: bad options and a taken port');
errors('fails with coded errors', async () => {
  const server = await serve(probeModule, { host: '127.0.0.1', port: 0 });
  try {
    await serveAdmin(server, { port: -1 }).then(() => assert.unreachable('listened'), (error: { code?: string }) => assert.is(error.code, 'ERR_INVALID_ARGUMENT'));
    const first = await serveAdmin(server, { port: 0 });
    await serveAdmin(server, { port: portOf(first) }).then(() => assert.unreachable('listened twice'), (error: { code?: string }) => assert.is(error.code, 'ERR_ADDRESS_IN_USE'));
    await first.close();
  } finally {
    await server.stop({ deadline: 0 });
  }
});
errors.run();
