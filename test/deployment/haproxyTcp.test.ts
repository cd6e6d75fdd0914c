import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { clientInfo, clientsPerServer, proxiedRespServers } from '../support/clientInfo.js';
import { withDeployment } from '../support/deployment.js';
import { startHaproxy } from '../support/haproxy.js';
import { freePort, startServe, until } from '../support/spawned.js';

// Issue 16, behind a balancer: two `rxloop serve resp --proxy-protocol` processes, each on a test host of its
// own (a network namespace joined by a veth pair), behind a real HAProxy in mode tcp with send-proxy-v2. Every
// client's CLIENT INFO must name the client's own address and port (what its socket's local end is), not
// HAProxy's, and the clients must have been spread over both servers.

/** The HAProxy sections of this test, as docs/deployment.md shows them. */
function tcpConfig(front: number, servers: readonly { readonly address: string; readonly port: number }[]): string {
  return `defaults
  mode tcp
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check 2s

frontend resp
  bind 127.0.0.1:${front}
  default_backend resp_servers

backend resp_servers
  balance roundrobin
  # send-proxy-v2: a PROXY v2 header with the client's address starts every connection; check-send-proxy: the
  # health checks send one too (a LOCAL header), as a server started with --proxy-protocol requires.
${servers.map((s, i) => `  server s${i} ${s.address}:${s.port} send-proxy-v2 check check-send-proxy inter 200ms rise 1 fall 2`).join('\n')}
`;
}

test('HAProxy mode tcp, send-proxy-v2: each server sees every client\'s own address and port (CLIENT INFO addr=)', async () => {
  await withDeployment('the HAProxy tcp test', 2, 45_000, async (deployment) => {
    const { hosts, dir, defer } = deployment;
    const { backends, sockets } = await proxiedRespServers(deployment);
    const front = await freePort();
    const haproxy = await startHaproxy(dir, tcpConfig(front, backends));
    defer(() => haproxy.kill());
    await until('both servers UP in HAProxy', async () => {
      const states = await haproxy.serverStates();
      return [...states.values()].filter((state) => state === 'UP').length === 2 ? states : undefined;
    });

    const seen = await clientsPerServer(front, sockets, 6);
    // laddr= is each server's own end: HAProxy's roundrobin put three clients on each.
    assert.equal([...seen.keys()].sort(), backends.map((b) => `${b.address}:${b.port}`).sort());
    assert.equal([...seen.values()], [3, 3]);
    if (hosts.isolated) {
      // The servers' only addresses are on their own veth ends, so HAProxy reached them over the test hosts.
      assert.not.ok(backends.some((b) => b.address.startsWith('127.')), 'servers on their test hosts');
    }
  });
});

test('rxloop serve proxy --send-proxy-v2 in HAProxy\'s place: the RESP server on its test host names the client', async () => {
  await withDeployment('the send-proxy-v2 test', 1, 30_000, async ({ hosts, defer }) => {
    const host = hosts.hosts[0]!;
    const sockets: Socket[] = [];
    const resp = await startServe(host, ['resp', '--host', host.address, '--port', '0', '--proxy-protocol', '--proxy-trusted', host.gateway]);
    defer(() => resp.kill());
    const loopback = { ...host, namespace: undefined, command: (command: string, args: readonly string[]) => ({ command, args: [...args] }) };
    const proxy = await startServe(loopback, ['proxy', '--port', '0', '--target', `${host.address}:${resp.port}`, '--send-proxy-v2']);
    defer(() => proxy.kill());
    defer(() => sockets.forEach((socket) => socket.destroy()));
    const { socket, info } = await clientInfo(proxy.port, sockets);
    assert.is(/ addr=(\S+) /.exec(info)?.[1], `${socket.localAddress}:${socket.localPort}`, info);
    assert.is(/ laddr=(\S+) /.exec(info)?.[1], `${host.address}:${resp.port}`, info);
  });
});

test.run();
