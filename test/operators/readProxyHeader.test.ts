import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { concat, ignoreElements, lastValueFrom, toArray } from 'rxjs';
import { ErrorCode, RxloopError, listen, type Connection, type SocketAddress } from '../../src/index.js';
import { encodeProxyHeader, handle, readProxyHeader, sendTo, type ProxyHeader, type ProxyProtocolOptions } from '../../operators/index.js';
import { readAll } from '../support/sockets.js';
import { nodeBackend } from '../../src/backends/node/nodeBackend.js';
import { within } from '../support/spawned.js';

const v4 = (address: string, port: number): SocketAddress => ({ kind: 'inet', family: 'IPv4', address, port });
const client = v4('203.0.113.7', 51234);
const balancer = v4('198.51.100.1', 6379);
const proxied = (tlvs: { type: number; value: Buffer }[] = []): Buffer =>
  encodeProxyHeader({ version: 2, command: 'proxy', source: client, destination: balancer, tlvs });

const sockets: Socket[] = [];
const stops: (() => void)[] = [];
let server: { port: number; next: () => Promise<Connection>; stop: () => void };

/** Listens on loopback port 0; `next()` is the next connection accepted after the call, nothing read from it. */
function acceptor(): Promise<typeof server> {
  const waiting: ((connection: Connection) => void)[] = [];
  return within(5000, 'listen', new Promise((resolve, reject) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, backend: nodeBackend(), onListening: ({ address }) => resolve({
      port: address.kind === 'inet' ? address.port : 0,
      next: () => new Promise<Connection>((take) => waiting.push(take)),
      stop: () => subscription.unsubscribe(),
    }) }).subscribe({ next: (connection) => waiting.shift()?.(connection), error: reject });
  }));
}

/** A raw client that writes `bytes` and (unless `keepOpen`) ends its output. */
async function send(port: number, bytes: Buffer | string, keepOpen = false): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await within(5000, 'connect', new Promise((resolve) => socket.once('connect', resolve)));
  if (keepOpen) socket.write(bytes);
  else socket.end(bytes);
  return socket;
}

/** What readProxyHeader emits on the next accepted connection, and how it ends. */
async function header(bytes: Buffer | string, options: ProxyProtocolOptions = {}, keepOpen = false): Promise<{
  connection: Connection;
  emitted: (ProxyHeader | undefined)[];
  error: RxloopError | undefined;
}> {
  const accepted = server.next();
  await send(server.port, bytes, keepOpen);
  const connection = await within(5000, 'the accept', accepted);
  try {
    const emitted = await within(5000, 'readProxyHeader', lastValueFrom(readProxyHeader(connection, options).pipe(toArray())));
    return { connection: connection, emitted, error: undefined };
  } catch (error) {
    assert.instance(error, RxloopError);
    return { connection: connection, emitted: [], error: error as RxloopError };
  }
}

test.before(async () => {
  server = await acceptor();
});
test.after.each(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const stop of stops.splice(0)) stop();
});
test.after(() => server.stop());

test('a v2 header: emitted once, then complete; remoteAddress is the client; the bytes after it stay unread', async () => {
  const tlvs = [{ type: 2, value: Buffer.from('a.example') }];
  const { connection, emitted, error } = await header(Buffer.concat([proxied(tlvs), Buffer.from('PING\r\n')]));
  assert.is(error, undefined);
  assert.equal(emitted, [{ version: 2, command: 'proxy', source: client, destination: balancer, tlvs }]);
  assert.equal(connection.remoteAddress, client);
  assert.is((await within(5000, 'the rest', readAll(connection))).toString(), 'PING\r\n', 'not one byte of the protocol was read');
});

test('a v1 header works the same; a LOCAL header (a health check) keeps the connection\'s own address', async () => {
  const v1 = await header('PROXY TCP4 192.0.2.9 192.0.2.1 4000 443\r\nhello');
  assert.equal(v1.emitted.map((h) => [h?.version, h?.command]), [[1, 'proxy']]);
  assert.equal(v1.connection.remoteAddress, v4('192.0.2.9', 4000));
  assert.is((await within(5000, 'the rest', readAll(v1.connection))).toString(), 'hello');

  const local = await header(Buffer.concat([encodeProxyHeader({ version: 2, command: 'local' }), Buffer.from('hc')]));
  assert.is(local.emitted[0]?.command, 'local');
  const own = local.connection.remoteAddress;
  assert.ok(own?.kind === 'inet' && own.address === '127.0.0.1', `its own address, got ${JSON.stringify(own)}`);
  assert.is((await within(5000, 'the rest', readAll(local.connection))).toString(), 'hc');
});

test("an untrusted peer: 'reject' (the default) errors with ERR_PROXY_PROTOCOL; 'direct' emits undefined and reads nothing", async () => {
  const rejected = await header(proxied(), { trusted: ['10.0.0.0/8'] });
  assert.is(rejected.error?.code, ErrorCode.PROXY_PROTOCOL);
  assert.match(rejected.error!.message, /expected a connection from a trusted balancer, got one from 127\.0\.0\.1/);

  const direct = await header(Buffer.concat([proxied(), Buffer.from('x')]), { trusted: ['10.0.0.0/8'], untrusted: 'direct' });
  assert.equal(direct.emitted, [undefined]);
  assert.is(direct.connection.remoteAddress?.kind === 'inet' && direct.connection.remoteAddress.address, '127.0.0.1', 'not the claimed address');
  const rest = await within(5000, 'the rest', readAll(direct.connection));
  assert.ok(rest.equals(Buffer.concat([proxied(), Buffer.from('x')])), 'the claimed header is left to the protocol, untouched');
});

test('no header, a malformed one, one over maxLength, or the input ending inside one: ERR_PROXY_PROTOCOL', async () => {
  const bigTlv = [{ type: 0xe0, value: Buffer.alloc(300) }];
  const cases: [string, Buffer | string, ProxyProtocolOptions, RegExp][] = [
    ['plain bytes', 'GET / HTTP/1.1\r\n\r\n', {}, /PROXY/],
    ['a v1 line with a bad address', 'PROXY TCP4 999.1.1.1 1.1.1.1 1 2\r\n', {}, /PROXY/],
    ['a v2 header over maxLength', proxied(bigTlv), { maxLength: 232 }, /PROXY/],
    ['the input ending inside the header', proxied().subarray(0, 20), {}, /expected a header, got the end of input before it was whole/],
    ['the input ending before any byte', '', {}, /expected a header, got the end of input/],
  ];
  for (const [what, bytes, options, message] of cases) {
    const { error, emitted } = await header(bytes, options);
    assert.equal(emitted, [], what);
    assert.is(error?.code, ErrorCode.PROXY_PROTOCOL, what);
    assert.match(error!.message, message, what);
  }
});

test('a header that does not arrive whole within the timeout errors with ERR_TIMEOUT; unsubscribing first cancels it', async () => {
  const slow = await header(proxied().subarray(0, 10), { timeout: 50 }, true);
  assert.is(slow.error?.code, ErrorCode.TIMEOUT);
  assert.match(slow.error!.message, /expected the whole header within 50 ms, got \d+ bytes short/);

  const accepted = server.next();
  await send(server.port, proxied().subarray(0, 10), true);
  const connection = await within(5000, 'the accept', accepted);
  let failed: unknown;
  readProxyHeader(connection, { timeout: 30 }).subscribe({ error: (error: unknown) => (failed = error) }).unsubscribe();
  await sleep(80);
  assert.is(failed, undefined, 'no timeout after the unsubscription');
});

test('a Unix socket peer is always trusted; the diagnostics channels hear each header and each refusal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-proxy-'));
  const path = join(dir, 's');
  const heard: unknown[] = [];
  const rejects: unknown[] = [];
  const onHeader = (message: unknown): void => void heard.push(message);
  const onReject = (message: unknown): void => void rejects.push(message);
  subscribe('rxloop:proxy:header', onHeader);
  subscribe('rxloop:proxy:reject', onReject);
  const unix = await new Promise<{ accepted: Promise<Connection>; stop: () => void }>((resolve) => {
    let take!: (connection: Connection) => void;
    const accepted = new Promise<Connection>((done) => (take = done));
    const subscription = listen({ path, onListening: () => resolve({ accepted, stop: () => subscription.unsubscribe() }) })
      .subscribe((connection) => take(connection));
  });
  try {
    const socket = netConnect({ path });
    sockets.push(socket);
    socket.on('error', () => undefined).end(Buffer.concat([proxied(), Buffer.from('u')]));
    const connection = await within(5000, 'the Unix accept', unix.accepted);
    const emitted = await within(5000, 'the header', lastValueFrom(readProxyHeader(connection, { trusted: ['10.0.0.0/8'] }).pipe(toArray())));
    assert.equal(emitted.map((h) => h?.source), [client], 'trusted though not in the list');
    assert.equal(connection.remoteAddress, client);
    assert.equal(heard, [{ connection, version: 2, command: 'proxy' }]);

    const refused = await header('nope', {});
    assert.equal(rejects, [{ connection: refused.connection, error: refused.error }]);
  } finally {
    unsubscribe('rxloop:proxy:header', onHeader);
    unsubscribe('rxloop:proxy:reject', onReject);
    unix.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options throw ERR_INVALID_ARGUMENT at the call, before anything is read', () => {
  const connection = undefined as unknown as Connection;
  const cases: [unknown, RegExp][] = [
    [null, /expected an options object, got null/],
    [{ untrusted: 'maybe' }, /untrusted expected 'reject' or 'direct', got "maybe"/],
    [{ timeout: 0 }, /timeout expected/],
    [{ maxLength: 100 }, /maxLength expected/],
    [{ trusted: ['10.0.0.0/33'] }, /trusted expected/],
  ];
  for (const [options, message] of cases) {
    try {
      readProxyHeader(connection, options as ProxyProtocolOptions);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT, JSON.stringify(options));
      assert.match((error as RxloopError).message, message);
    }
  }
});

test('the TSDoc example: the header is consumed, and the bytes after it are echoed', async () => {
  const port = await new Promise<number>((resolve) => {
    const subscription = listen({ host: '127.0.0.1', port: 0, onListening: ({ address }) => resolve(address.kind === 'inet' ? address.port : 0) })
      .pipe(handle((connection) => concat(
        readProxyHeader(connection, { trusted: ['127.0.0.1'] }).pipe(ignoreElements()),
        connection.data$,
      ).pipe(sendTo(connection))))
      .subscribe();
    stops.push(() => subscription.unsubscribe());
  });
  const socket = await send(port, Buffer.concat([proxied(), Buffer.from('echo me')]));
  let text = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (text += chunk));
  await within(5000, 'the echo and the close', new Promise((resolve) => socket.once('close', resolve)));
  assert.is(text, 'echo me', 'the header is consumed, the rest echoed');
});

test.run();
