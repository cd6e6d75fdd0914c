import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { concat, mergeMap, of } from 'rxjs';
import { ErrorCode, listen, type Connection, type DiagnosticsMessages, type SocketAddress } from '../../src/index.js';
import { encodeProxyHeader, handle, proxyProtocol, readProxyHeader, sendTo } from '../../operators/index.js';
import { multiReactor, serve, singleReactor, type Server, type ServerEvent, type Topology } from '../../schedulers/index.js';
import serveWhoAmI from '../fixtures/serveWhoAmI.js';
import { until } from '../backends/node/until.js';

const client = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv4', address, port });
const lb = client('192.0.2.1', 443);

const sockets: Socket[] = [];

/** Opens a raw socket, writes `bytes` (in pieces when several are given), and collects what comes back. */
async function talk(port: number, ...pieces: (Buffer | string)[]): Promise<{ socket: Socket; received: () => string; closed: Promise<string> }> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  // A server that refuses at once may reset before 'connect' is seen here: then it is closed, not connected.
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', () => resolve());
  });
  for (const piece of pieces) {
    socket.write(piece);
    if (pieces.length > 1) await sleep(5);
  }
  return { socket, received: () => text, closed };
}

/** `listen` + `proxyProtocol` + `handle(serveWhoAmI)` on loopback; resolves with the port and a stop. */
function operatorServer(options: Parameters<typeof proxyProtocol>[0]): Promise<{ port: number; stop: () => void }> {
  return new Promise((resolve) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, onListening: ({ address }) => resolve({
      port: address.kind === 'inet' ? address.port : 0,
      stop: () => subscription.unsubscribe(),
    }) }).pipe(proxyProtocol(options), handle(serveWhoAmI)).subscribe();
  });
}

const operator = suite('proxyProtocol() in front of listen, on real loopback sockets');
operator.after.each(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

operator('v1 and v2 headers give the handler the client\'s address; the bytes after the header arrive whole', async () => {
  const server = await operatorServer({ trusted: ['127.0.0.0/8'] });
  try {
    const v2 = await talk(server.port, Buffer.concat([
      encodeProxyHeader({ version: 2, command: 'proxy', source: client('203.0.113.7', 51234), destination: lb }),
      Buffer.from('hello'),
    ]));
    await until(() => v2.received() === '203.0.113.7 51234\nhello', 'the v2 answer');
    // v1, split across writes, with the payload in the same write as the header's end.
    const v1 = await talk(server.port, 'PROXY TCP4 198.51.100.9 ', '1.2.3.4 4000 443\r', '\nping');
    await until(() => v1.received() === '198.51.100.9 4000\nping', 'the v1 answer');
    // LOCAL (a balancer's health check) keeps the real peer.
    const local = await talk(server.port, Buffer.concat([encodeProxyHeader({ version: 2, command: 'local' }), Buffer.from('hc')]));
    await until(() => local.received().startsWith('127.0.0.1 ') && local.received().endsWith('\nhc'), 'the LOCAL answer');
  } finally {
    server.stop();
  }
});

operator('a bad, missing, slow or untrusted header costs that connection alone, with a coded reason', async () => {
  const rejected: DiagnosticsMessages['rxloop:proxy:reject'][] = [];
  const onReject = (message: unknown): void => void rejected.push(message as DiagnosticsMessages['rxloop:proxy:reject']);
  subscribe('rxloop:proxy:reject', onReject);
  const server = await operatorServer({ timeout: 200 });
  const untrusted = await operatorServer({ trusted: ['10.0.0.0/8'] });
  const direct = await operatorServer({ trusted: ['10.0.0.0/8'], untrusted: 'direct' });
  try {
    const plain = await talk(server.port, 'GET / HTTP/1.1\r\n\r\n');
    const stalled = await talk(server.port, 'PROXY TCP4 1.2.3.4');
    const liar = await talk(untrusted.port, encodeProxyHeader({ version: 2, command: 'proxy', source: client('1.1.1.1', 1), destination: lb }));
    const good = await talk(server.port, Buffer.concat([encodeProxyHeader({ version: 1, command: 'proxy', source: client('9.9.9.9', 9), destination: lb }), Buffer.from('x')]));
    assert.is(await plain.closed, '', 'a connection without a header gets nothing and is closed');
    assert.is(await liar.closed, '', 'an untrusted peer is not believed');
    assert.is(await stalled.closed, '', 'a stalled header is cut off at the timeout');
    await until(() => good.received() === '9.9.9.9 9\nx', 'the good client is served meanwhile');
    await until(() => rejected.length === 3, 'three rejections reported');
    assert.equal(rejected.map((r) => r.error.code).sort(), [ErrorCode.PROXY_PROTOCOL, ErrorCode.PROXY_PROTOCOL, ErrorCode.TIMEOUT]);
    // 'direct': an untrusted peer is served as it is, under its own address, without a header read.
    const own = await talk(direct.port, 'PROXY TCP4 6.6.6.6 6.6.6.6 6 6\r\n');
    await until(() => own.received() === `127.0.0.1 ${own.socket.localPort}\nPROXY TCP4 6.6.6.6 6.6.6.6 6 6\r\n`, 'the direct answer');
  } finally {
    unsubscribe('rxloop:proxy:reject', onReject);
    server.stop();
    untrusted.stop();
    direct.stop();
  }
});

operator('readProxyHeader on its own: the header, then the protocol, in one pipeline', async () => {
  const port = await new Promise<number>((resolve, reject) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, onListening: ({ address }) => resolve(address.kind === 'inet' ? address.port : 0) })
      .pipe(handle((connection: Connection) => readProxyHeader(connection).pipe(
        // The authority TLV (the TLS server name the balancer saw) is written back, then the echo follows.
        mergeMap((header) => concat(of(Buffer.from(`${header?.tlvs.find((tlv) => tlv.type === 2)?.value.toString() ?? '-'}\n`)), connection.data$)),
        sendTo(connection),
      )))
      .subscribe({ error: reject });
    stops.push(() => subscription.unsubscribe());
  });
  const exchange = await talk(port, Buffer.concat([
    encodeProxyHeader({ version: 2, command: 'proxy', source: client('5.5.5.5', 5), destination: lb, tlvs: [{ type: 2, value: Buffer.from('a.example') }] }),
    Buffer.from('rest'),
  ]));
  await until(() => exchange.received() === 'a.example\nrest', 'the authority and the echo');
  assert.throws(() => readProxyHeader(undefined as unknown as Connection, { untrusted: 'maybe' as 'direct' }), /untrusted expected/);
  assert.throws(() => proxyProtocol({ trusted: ['10.0.0.0/33'] }), /trusted expected/);
  assert.throws(() => proxyProtocol({ trusted: ['not-an-address'] }), /trusted expected/);
  assert.throws(() => proxyProtocol({ timeout: -1 }), /timeout expected/);
  assert.throws(() => proxyProtocol({ maxLength: 10 }), /maxLength expected/);
});
const stops: (() => void)[] = [];
operator.after(() => {
  for (const stop of stops.splice(0)) stop();
});

operator.run();

// serve({ proxyProtocol }) under one topology in this process and a multi-reactor of two processes: the
// handler module is unchanged, and sees the client's address.
const serveSuite = suite('serve({ proxyProtocol }) on every kind of topology');
const whoAmIModule = new URL('../fixtures/serveWhoAmI.js', import.meta.url);

for (const [name, topology] of [['single', () => singleReactor()], ['multi', () => multiReactor({ reactors: 2 })]] as [string, () => Topology][]) {
  serveSuite(`${name}: the handler sees the client; a connection without a header is a handler error with ERR_PROXY_PROTOCOL`, async () => {
    const server: Server = await serve(whoAmIModule, { host: '127.0.0.1', port: 0, scheduler: topology(), proxyProtocol: { trusted: ['127.0.0.1'] } });
    const events: ServerEvent[] = [];
    const watching = server.events$.subscribe((event) => events.push(event));
    try {
      const port = server.address.kind === 'inet' ? server.address.port : 0;
      const relayed = await talk(port, Buffer.concat([encodeProxyHeader({ version: 2, command: 'proxy', source: client('203.0.113.50', 40000), destination: lb }), Buffer.from('abc')]));
      await until(() => relayed.received() === '203.0.113.50 40000\nabc', `${name}: the relayed answer`);
      const bare = await talk(port, 'abc');
      assert.is(await bare.closed, '');
      await until(() => events.some((event) => event.type === 'handler-error' && event.code === ErrorCode.PROXY_PROTOCOL), 'the handler error');
    } finally {
      watching.unsubscribe();
      for (const socket of sockets.splice(0)) socket.destroy();
      await server.stop({ deadline: 1000 });
    }
  });
}

// The RESP example behind a balancer: CLIENT INFO and CLIENT LIST name the client the PROXY header gave (issue
// 16: what operators use to see who is connected), under one reactor and under sub-reactor processes.
const respModule = new URL('../../examples/resp/handler.js', import.meta.url);
for (const [name, topology] of [['single', () => singleReactor()], ['multi', () => multiReactor({ reactors: 2 })]] as [string, () => Topology][]) {
  serveSuite(`${name}: the RESP example's CLIENT INFO and CLIENT LIST show the address from the PROXY header`, async () => {
    const server: Server = await serve(respModule, { host: '127.0.0.1', port: 0, scheduler: topology(), proxyProtocol: { trusted: ['127.0.0.1'] } });
    try {
      const port = server.address.kind === 'inet' ? server.address.port : 0;
      const header = encodeProxyHeader({ version: 2, command: 'proxy', source: client('203.0.113.50', 40000), destination: lb });
      const relayed = await talk(port, Buffer.concat([header, Buffer.from('CLIENT INFO\r\nCLIENT LIST\r\n')]));
      await until(() => (relayed.received().match(/addr=/g) ?? []).length >= 2, `${name}: both replies`);
      const text = relayed.received();
      assert.match(text, /^\$\d+\r\nid=\d+ addr=203\.0\.113\.50:40000 /, text);
      assert.match(text, /\r\n\$\d+\r\nid=\d+ addr=203\.0\.113\.50:40000 /, 'CLIENT LIST too');
      assert.not.match(text, / addr=127\.0\.0\.1/, 'not the balancer\'s own address (laddr= stays this server\'s own end)');
    } finally {
      for (const socket of sockets.splice(0)) socket.destroy();
      await server.stop({ deadline: 1000 });
    }
  });
}

serveSuite('serve refuses proxyProtocol with tls, and bad options, before it starts', async () => {
  for (const options of [{ proxyProtocol: {}, tls: {} }, { proxyProtocol: { trusted: ['nope'] } }]) {
    try {
      await serve(whoAmIModule, { host: '127.0.0.1', port: 0, ...options });
      assert.unreachable('serve started');
    } catch (error) {
      assert.is((error as { code?: string }).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

serveSuite.run();
