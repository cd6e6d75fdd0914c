import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpGet } from '../support/httpGet.js';
import { withDeployment } from '../support/deployment.js';
import { startHaproxy } from '../support/haproxy.js';
import { freePort, startServe, until, type RxloopServe } from '../support/spawned.js';
import { startWrk } from '../support/wrk.js';

// Issue 16, a rolling restart behind a real HAProxy (mode http) under a real wrk load: two `rxloop serve http`
// processes on test hosts of their own, HAProxy health-checking each one's /readyz on its --admin port. Every
// instance in turn gets SIGTERM (readiness fails, HAProxy takes it out, the drain delay passes, accepting stops,
// connections drain), exits 0, and is started again on the same ports; HAProxy puts it back. wrk must see no
// response other than 2xx and no socket error, and each restarted instance must have served wrk's requests.

const DRAIN_DELAY = 1000;

/** The HAProxy sections of this test, as docs/deployment.md shows them. */
function httpConfig(front: number, servers: readonly { readonly address: string; readonly port: number; readonly admin: number }[]): string {
  return `defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  # A check that takes longer than this fails; the default (inter) is too short for a loaded machine.
  timeout check 2s

frontend web
  bind 127.0.0.1:${front}
  default_backend web_servers

backend web_servers
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
${servers.map((s, i) => `  server s${i} ${s.address}:${s.port} check port ${s.admin} inter 100ms fall 1 rise 1`).join('\n')}
`;
}

test('HAProxy mode http, /readyz checks: a rolling restart of every instance under wrk costs no request', async () => {
  await withDeployment('the HAProxy rolling restart test', 2, 55_000, async ({ hosts, dir, defer }) => {
    // On test hosts of their own every instance can have the same ports; on loopback each needs its own.
    const places = await Promise.all(hosts.hosts.map(async (host) => ({
      host,
      address: host.address,
      port: hosts.isolated ? 8080 : await freePort(),
      admin: hosts.isolated ? 9090 : await freePort(),
    })));
    const args = (place: (typeof places)[number]): string[] => ['http', '--host', place.address, '--port', String(place.port),
      '--admin', `${place.address}:${place.admin}`, '--drain-delay', String(DRAIN_DELAY), '--deadline', '3000'];
    const servers: RxloopServe[] = [];
    defer(() => Promise.all(servers.map((server) => server.kill())));
    for (const place of places) servers.push(await startServe(place.host, args(place)));
    const front = await freePort();
    const haproxy = await startHaproxy(dir, httpConfig(front, places));
    defer(() => haproxy.kill());
    const state = async (i: number): Promise<string | undefined> => (await haproxy.serverStates()).get(`web_servers/s${i}`);
    for (let i = 0; i < places.length; i++) await until(`s${i} UP`, async () => ((await state(i)) === 'UP' ? true : undefined));

    const wrk = await startWrk(dir, `http://127.0.0.1:${front}/`, { connections: 8, seconds: 50 });
    defer(() => wrk.process.kill());
    await new Promise((done) => setTimeout(done, 500));
    for (let i = 0; i < places.length; i++) {
      const old = servers[i]!;
      old.child.kill('SIGTERM');
      // Readiness goes first: HAProxy takes the instance out while it still accepts and serves.
      await until(`s${i} DOWN after SIGTERM`, async () => ((await state(i))?.startsWith('DOWN') ? true : undefined));
      assert.is(old.child.exitCode, null, 'still running (the drain delay) when HAProxy has taken it out');
      assert.is(await old.exited, 0, old.output());
      assert.match(old.output(), new RegExp(`SIGTERM, not ready; still accepting for ${DRAIN_DELAY} ms`));
      assert.match(old.output(), /rxloop: stopped/);
      servers[i] = await startServe(places[i]!.host, args(places[i]!));
      await until(`s${i} UP again`, async () => ((await state(i)) === 'UP' ? true : undefined));
      // The new instance takes its share of the load before the next one restarts.
      await until(`s${i} serving again`, async () => {
        const metrics = await httpGet(places[i]!.admin, '/metrics', places[i]!.address);
        const accepted = /^rxloop_accepted_connections_total(?:\{[^}]*\})? (\d+)/m.exec(metrics.body);
        return accepted !== null && Number(accepted[1]) > 0 ? true : undefined;
      });
    }
    await new Promise((done) => setTimeout(done, 500));
    const result = await wrk.stop();
    console.log(`# wrk through HAProxy during the rolling restart: ${result.requests} requests, ${result.non2xx} non-2xx`);
    assert.ok(result.requests > 100, `wrk ran (${result.requests} requests):\n${result.output}`);
    assert.is(result.non2xx, 0, `non-2xx responses:\n${result.output}`);
    assert.equal(result.errors, { connect: 0, read: 0, write: 0, timeout: 0, status: 0 }, `socket errors:\n${result.output}`);
    assert.not.match(result.output, /Non-2xx or 3xx responses|Socket errors/, result.output);
  });
});

test.run();
