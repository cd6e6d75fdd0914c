import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError, type Connection } from '../../../src/index.js';
import httpHandler, { createHttpHandler } from '../../../examples/http/handler.js';
import { timeline, write, type Step } from './timeline.js';

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

const short = createHttpHandler({ headerTimeout: 100, idleTimeout: 500 });

test('a slowloris head is cut off with 408 at the header timeout, however often it sends a byte', () => {
  const drip: Step[] = [[10, write('GET / HTTP/1.1\r\n')]];
  for (let at = 20; at < 300; at += 20) drip.push([at, write(`X-${at}: y\r\n`)]);
  // The first head is due 100 ms after the accept, even though its first byte came at 10 ms.
  assert.equal(timeline(short, [{ name: 'slow', steps: drip }]), [
    '100 slow HTTP/1.1 408',
    '100 slow end',
    '100 slow closed',
    '100 server closed',
  ]);
});

test('a later head gets the header timeout from its own first byte; activity does not extend it', () => {
  const steps: Step[] = [
    [10, write(GET)],
    [300, write('GET /json HTTP/1.1\r\n')],
    [350, write('Host: x\r\n')],
    [390, write('X-A: b\r\n')],
  ];
  assert.equal(timeline(short, [{ name: 'c', steps }]), [
    '10 c HTTP/1.1 200',
    '400 c HTTP/1.1 408',
    '400 c end',
    '400 c closed',
    '400 server closed',
  ]);
});

test('a silent new connection is closed at the header timeout, without a response', () => {
  assert.equal(timeline(short, [{ name: 'mute', steps: [] }]), ['100 mute end', '100 mute closed', '100 server closed']);
});

test('an idle keep-alive connection is closed after the idle timeout (at most twice it), without a response', () => {
  // The timer looks at 100 ms (the first head's deadline), sees traffic, and looks again 500 ms later.
  assert.equal(timeline(short, [{ name: 'idle', steps: [[10, write(GET)]] }]), [
    '10 idle HTTP/1.1 200',
    '600 idle end',
    '600 idle closed',
    '600 server closed',
  ]);
});

test('requests every 400 ms keep the connection open past the idle timeout', () => {
  const steps: Step[] = [0, 400, 800, 1200].map((at) => [at + 10, write(GET)]);
  steps.push([1300, (connection) => connection.end()]);
  assert.equal(timeline(short, [{ name: 'c', steps }]), [
    '10 c HTTP/1.1 200',
    '410 c HTTP/1.1 200',
    '810 c HTTP/1.1 200',
    '1210 c HTTP/1.1 200',
    '1300 c end',
    '1300 server closed',
    '1300 c closed',
  ]);
});

test('pipelined requests whose heads straddle reads for longer than the header timeout are all answered', () => {
  // Each write finishes the previous request's head and starts the next, so every read ends mid-head.
  const steps: Step[] = [[0, write('GET / HT')]];
  for (let at = 30; at <= 300; at += 30) steps.push([at, write(`TP/1.1\r\nHost: x\r\n\r\nGET / HT`)]);
  steps.push([310, write('TP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
  const log = timeline(short, [{ name: 'p', steps }]);
  assert.equal(log.filter((line) => line.endsWith('200')).length, 11, log.join('\n'));
  assert.not.ok(log.some((line) => line.endsWith('408')), log.join('\n'));
  assert.equal(log.slice(-3), ['310 p end', '310 p closed', '310 server closed']);
});

test('a body that stops arriving gets 408 after the idle timeout', () => {
  const steps: Step[] = [[10, write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc')]];
  // Seen idle from the 100 ms look on (traffic came before it), so cut at 600 ms.
  assert.equal(timeline(short, [{ name: 'b', steps }]), ['600 b HTTP/1.1 408', '600 b end', '600 b closed', '600 server closed']);
});

test('at the end of input, complete requests are answered, then the connection closes', () => {
  const steps: Step[] = [
    [10, write(`${GET}GET /json HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHo`)],
    [20, (connection) => connection.end()],
  ];
  assert.equal(timeline(short, [{ name: 'h', steps, closeOnEnd: false }]), [
    '10 h HTTP/1.1 200',
    '10 h HTTP/1.1 200',
    '20 h end',
    '20 server closed',
    '20 h closed',
  ]);
});

test('a rejected request closes its connection only; the others keep being served', () => {
  const log = timeline(short, [
    { name: 'bad', steps: [[10, write('GET / HTTP/2.0\r\nHost: x\r\n\r\n')]] },
    { name: 'good', steps: [[5, write(GET)], [20, write(GET)], [30, (connection) => connection.end()]] },
  ]);
  assert.equal(log, [
    '5 good HTTP/1.1 200',
    '10 bad HTTP/1.1 505',
    '10 bad end',
    '10 bad closed',
    '10 server closed',
    '20 good HTTP/1.1 200',
    '30 good end',
    '30 server closed',
    '30 good closed',
  ]);
});

test('after its last response the server drains input for two seconds, then closes', () => {
  // The client neither reads our FIN as a reason to close nor stops sending.
  const steps: Step[] = [[10, write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n')]];
  for (let at = 100; at < 3000; at += 500) steps.push([at, write('more\r\n')]);
  assert.equal(timeline(short, [{ name: 'l', steps, closeOnEnd: false }]), [
    '10 l HTTP/1.1 200',
    '10 l end',
    '2010 server closed',
  ]);
});

test('a reset while draining ends the connection quietly', () => {
  const steps: Step[] = [
    [10, write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')],
    [50, (connection) => connection.abort()],
  ];
  assert.equal(timeline(short, [{ name: 'r', steps, closeOnEnd: false }]), ['10 r HTTP/1.1 200', '10 r end', '50 server closed', '50 r closed']);
});

test('the default export reads its timeouts from the environment per connection', () => {
  const saved = { header: process.env.RXLOOP_HTTP_HEADER_TIMEOUT, idle: process.env.RXLOOP_HTTP_IDLE_TIMEOUT };
  try {
    process.env.RXLOOP_HTTP_HEADER_TIMEOUT = '50';
    process.env.RXLOOP_HTTP_IDLE_TIMEOUT = '200';
    assert.equal(timeline(httpHandler, [{ name: 'a', steps: [[10, write(GET)]] }]), [
      '10 a HTTP/1.1 200',
      '250 a end',
      '250 a closed',
      '250 server closed',
    ]);
    process.env.RXLOOP_HTTP_HEADER_TIMEOUT = '';
    delete process.env.RXLOOP_HTTP_IDLE_TIMEOUT;
    // Back to the defaults: 10 s for the first head.
    assert.equal(timeline(httpHandler, [{ name: 'b', steps: [] }]), ['10000 b end', '10000 b closed', '10000 server closed']);
    process.env.RXLOOP_HTTP_IDLE_TIMEOUT = 'soon';
    assert.throws(
      () => httpHandler({} as Connection),
      (error: unknown) =>
        error instanceof RxloopError && error.code === ErrorCode.INVALID_ARGUMENT && /RXLOOP_HTTP_IDLE_TIMEOUT .*"soon"/.test(error.message),
    );
  } finally {
    for (const [name, value] of [['RXLOOP_HTTP_HEADER_TIMEOUT', saved.header], ['RXLOOP_HTTP_IDLE_TIMEOUT', saved.idle]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
});

test('with a read buffer smaller than the requests, heads and bodies spanning many reads are all answered', () => {
  const tiny = createHttpHandler({ headerTimeout: 100, idleTimeout: 500, readBufferSize: 5 });
  const body = 'a body longer than the read buffer';
  const steps: Step[] = [
    [10, write(`GET /json HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(40)}\r\n\r\nPOST /echo HTTP/1.1\r\nHost: x\r\n`)],
    [20, write(`Content-Length: ${body.length}\r\n\r\n${body}GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)],
  ];
  assert.equal(timeline(tiny, [{ name: 't', steps }]), [
    '10 t HTTP/1.1 200',
    '20 t HTTP/1.1 200',
    '20 t HTTP/1.1 404',
    '20 t end',
    '20 t closed',
    '20 server closed',
  ]);
});

test('createHttpHandler rejects a read buffer size that is not a positive integer', () => {
  for (const readBufferSize of [0, -1, 1.5, Number.NaN, Infinity]) {
    assert.throws(
      () => createHttpHandler({ readBufferSize }),
      (error: unknown) => error instanceof RxloopError && error.code === ErrorCode.INVALID_ARGUMENT && /readBufferSize/.test(error.message),
      String(readBufferSize),
    );
  }
});

test('createHttpHandler rejects timeouts that are not positive finite numbers', () => {
  for (const options of [{ headerTimeout: 0 }, { idleTimeout: -1 }, { headerTimeout: Infinity }, { idleTimeout: Number.NaN }]) {
    assert.throws(
      () => createHttpHandler(options),
      (error: unknown) => error instanceof RxloopError && error.code === ErrorCode.INVALID_ARGUMENT,
      JSON.stringify(options),
    );
  }
});

test.run();
