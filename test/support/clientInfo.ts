import * as assert from 'uvu/assert';
import { connect, type Socket } from 'node:net';
import type { Deployment } from './deployment.js';
import { startServe, type RxloopServe } from './spawned.js';

/**
 * Opens a connection to the RESP server (or a balancer in front of it) on 127.0.0.1:`port`, sends `CLIENT INFO`
 * and resolves with the reply's text and the socket, which stays open (it is pushed on `sockets` for the
 * test's cleanup). The reply's `addr=` is who the server thinks this client is.
 */
export async function clientInfo(port: number, sockets: Socket[]): Promise<{ socket: Socket; info: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  await new Promise<void>((connected, failed) => socket.once('connect', connected).once('error', failed));
  socket.write('CLIENT INFO\r\n');
  let text = '';
  const info = await new Promise<string>((answered, failed) => {
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      const head = /^\$(\d+)\r\n/.exec(text);
      if (head !== null && Buffer.byteLength(text) >= head[0].length + Number(head[1]) + 2) answered(text.slice(head[0].length, head[0].length + Number(head[1])));
      else if (text.startsWith('-')) failed(new Error(`CLIENT INFO failed: ${text}`));
    });
    socket.once('close', () => failed(new Error(`closed before the reply to CLIENT INFO (got ${JSON.stringify(text)})`)));
    socket.once('error', failed);
  });
  return { socket, info };
}

/** RESP servers a balancer test put behind its balancer, one per test host. */
export interface ProxiedRespServers {
  readonly servers: RxloopServe[];
  /** Where each server listens (its host's address and its port), in host order. */
  readonly backends: readonly { readonly address: string; readonly port: number }[];
  /** The test's client sockets, destroyed when the test ends. */
  readonly sockets: Socket[];
}

/**
 * Starts `rxloop serve resp --proxy-protocol` on every test host of `deployment`, trusting only that host's
 * gateway (where a balancer on this machine connects from); the servers and the sockets of the test are
 * cleaned up when it ends.
 */
export async function proxiedRespServers({ hosts, defer }: Deployment): Promise<ProxiedRespServers> {
  const servers: RxloopServe[] = [];
  const sockets: Socket[] = [];
  defer(() => Promise.all(servers.map((server) => server.kill())));
  defer(() => sockets.forEach((socket) => socket.destroy()));
  for (const host of hosts.hosts) {
    servers.push(await startServe(host, ['resp', '--host', host.address, '--port', '0', '--proxy-protocol', '--proxy-trusted', host.gateway]));
  }
  const backends = servers.map((server, i) => ({ address: hosts.hosts[i]!.address, port: server.port }));
  return { servers, backends, sockets };
}

/**
 * Sends `CLIENT INFO` as `count` clients through the balancer on 127.0.0.1:`front`, checks that each reply's
 * `addr=` names that client's own address and port, and counts the clients by the server that answered
 * (`laddr=`, the server's own end).
 */
export async function clientsPerServer(front: number, sockets: Socket[], count: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const { socket, info } = await clientInfo(front, sockets);
    assert.is(/ addr=(\S+) /.exec(info)?.[1], `${socket.localAddress}:${socket.localPort}`, `client ${i}: the server names this client (${info})`);
    const laddr = / laddr=(\S+) /.exec(info)?.[1];
    assert.ok(laddr !== undefined, info);
    seen.set(laddr!, (seen.get(laddr!) ?? 0) + 1);
  }
  return seen;
}
