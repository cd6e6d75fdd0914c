import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientInfo, clientsPerServer, proxiedRespServers } from '../support/clientInfo.js';
import { withDeployment } from '../support/deployment.js';
import { startNginx } from '../support/nginx.js';
import { freePort, until } from '../support/spawned.js';

// Issue 16, behind nginx's `stream` module (L4): two `rxloop serve resp --proxy-protocol` processes on test hosts
// of their own, behind a real nginx with `proxy_protocol on` (nginx sends the text PROXY v1 header). Every
// client's CLIENT INFO must name the client's own address and port, and the clients must be spread over both
// servers. Then one server stops: nginx's passive health check (max_fails) moves new clients to the other.

/** The nginx `stream` block of this test, as docs/deployment.md shows it. */
function streamConfig(front: number, servers: readonly { readonly address: string; readonly port: number }[]): string {
  return `stream {
  upstream resp_servers {
    # Round robin (the default). A server that refuses a connection is left alone for fail_timeout.
${servers.map((s) => `    server ${s.address}:${s.port} max_fails=1 fail_timeout=10s;`).join('\n')}
  }

  server {
    listen 127.0.0.1:${front};
    proxy_pass resp_servers;
    # A PROXY v1 header with the client's address starts every connection to a server
    # (which runs rxloop serve --proxy-protocol --proxy-trusted <this nginx>).
    proxy_protocol on;
    proxy_connect_timeout 2s;
    # Tries the next server when one cannot be reached.
    proxy_next_upstream on;
  }
}
`;
}

test('nginx stream, proxy_protocol on: each server sees every client\'s own address; a stopped server is passed over', async () => {
  await withDeployment('the nginx stream test', 2, 45_000, async (deployment) => {
    const { hosts, dir, defer } = deployment;
    const { servers, backends, sockets } = await proxiedRespServers(deployment);
    const front = await freePort();
    const nginx = await startNginx(dir, streamConfig(front, backends), { host: '127.0.0.1', port: front });
    defer(() => nginx.kill());

    const seen = await clientsPerServer(front, sockets, 6);
    assert.equal([...seen.keys()].sort(), backends.map((b) => `${b.address}:${b.port}`).sort(), 'both servers took clients');
    assert.equal([...seen.values()], [3, 3], 'round robin');
    if (hosts.isolated) assert.not.ok(backends.some((b) => b.address.startsWith('127.')), 'servers on their test hosts');

    // The first server goes away; every new client still gets an answer, from the other one.
    await servers[0]!.kill();
    const survivor = `${backends[1]!.address}:${backends[1]!.port}`;
    for (let i = 0; i < 4; i++) {
      const { socket, info } = await until(`client ${i} answered with s0 gone`, () => clientInfo(front, sockets), 10_000);
      assert.is(/ laddr=(\S+) /.exec(info)?.[1], survivor, info);
      assert.is(/ addr=(\S+) /.exec(info)?.[1], `${socket.localAddress}:${socket.localPort}`, info);
    }
  });
});

test.run();
