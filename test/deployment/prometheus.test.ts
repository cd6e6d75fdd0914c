import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { withDeployment } from '../support/deployment.js';
import { httpGet } from '../support/httpGet.js';
import { freePort, spawnTracked, startServe, until, type RxloopServe } from '../support/spawned.js';

// Issue 16, scraped by a real Prometheus: two `rxloop serve echo --admin` processes on test hosts of their own,
// a Prometheus started with a config scraping both every 500 ms, its own TSDB in a temp dir. Its API must say
// both targets are up, and a query must give each instance the connections the test holds open on it (3 and 1).

/** The Prometheus config of this test, as docs/deployment.md shows it. */
function prometheusConfig(targets: readonly string[]): string {
  return `global:
  scrape_interval: 500ms
  scrape_timeout: 400ms

scrape_configs:
  - job_name: rxloop
    static_configs:
      - targets: [${targets.map((target) => `'${target}'`).join(', ')}]
`;
}

interface ApiAnswer<T> {
  readonly status: string;
  readonly data: T;
}

async function api<T>(port: number, path: string): Promise<T> {
  const { status, body } = await httpGet(port, path);
  if (status !== 200) throw new Error(`Prometheus answered ${status} to ${path}: ${body}`);
  const answer = JSON.parse(body) as ApiAnswer<T>;
  if (answer.status !== 'success') throw new Error(`Prometheus: ${body}`);
  return answer.data;
}

async function openConnections(host: string, port: number, n: number, sockets: Socket[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const socket = connect({ host, port });
    sockets.push(socket);
    await new Promise<void>((connected, failed) => socket.once('connect', connected).once('error', failed));
  }
}

test('a real Prometheus scrapes two rxloop serve --admin instances: both targets up, connections per instance', async () => {
  await withDeployment('the Prometheus test', 2, 55_000, async ({ hosts, dir, defer }) => {
    const servers: RxloopServe[] = [];
    const sockets: Socket[] = [];
    defer(() => Promise.all(servers.map((server) => server.kill())));
    defer(() => sockets.forEach((socket) => socket.destroy()));
    for (const host of hosts.hosts) {
      const admin = hosts.isolated ? 9090 : await freePort();
      servers.push(await startServe(host, ['echo', '--host', host.address, '--port', '0', '--admin', `${host.address}:${admin}`]));
    }
    const targets = servers.map((server, i) => `${hosts.hosts[i]!.address}:${server.adminPort}`);
    const config = join(dir, 'prometheus.yml');
    writeFileSync(config, prometheusConfig(targets));
    const port = await freePort();
    const prometheus = await spawnTracked('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], 'apt-get install prometheus');
    defer(() => prometheus.kill());
    await until('Prometheus ready', async () => ((await httpGet(port, '/-/ready')).status === 200 ? true : undefined), 30_000, 100)
      .catch((error: Error) => { throw new Error(`${error.message}\n${prometheus.output()}`); });

    await openConnections(hosts.hosts[0]!.address, servers[0]!.port, 3, sockets);
    await openConnections(hosts.hosts[1]!.address, servers[1]!.port, 1, sockets);

    type Targets = { activeTargets: { scrapeUrl: string; health: string; lastError: string }[] };
    const up = await until('both targets up', async () => {
      const { activeTargets } = await api<Targets>(port, '/api/v1/targets?state=active');
      return activeTargets.length === 2 && activeTargets.every((target) => target.health === 'up') ? activeTargets : undefined;
    }, 20_000, 200);
    assert.equal(up.map((target) => target.scrapeUrl).sort(), targets.map((target) => `http://${target}/metrics`).sort());

    type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    const query = encodeURIComponent('sum by (instance) (rxloop_active_connections)');
    const open = await until('the connections of each instance in Prometheus', async () => {
      const { result } = await api<Vector>(port, `/api/v1/query?query=${query}`);
      const byInstance = new Map(result.map((sample) => [sample.metric['instance']!, Number(sample.value[1])]));
      return byInstance.get(targets[0]!) === 3 && byInstance.get(targets[1]!) === 1 ? byInstance : undefined;
    }, 20_000, 200);
    assert.is(open.size, 2);

    const ready = await api<Vector>(port, `/api/v1/query?query=${encodeURIComponent('rxloop_ready')}`);
    assert.equal(ready.result.map((sample) => sample.value[1]), ['1', '1'], 'both ready');
  });
});

test.run();
