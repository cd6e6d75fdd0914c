// The example HTTP server, run by `serve` under every topology and driven by real clients: Node's http client,
// curl, wrk and raw sockets. One server per topology, started with short timeouts through the environment
// (read per connection in this process, inherited by sub-reactor processes).
import { suite, test } from 'uvu';
import * as assert from 'uvu/assert';
import { Agent } from 'node:http';
import { multiReactor } from '../../../schedulers/multiReactor.js';
import { pooledReactor } from '../../../schedulers/pooledReactor.js';
import { serve } from '../../../schedulers/serve.js';
import { singleReactor } from '../../../schedulers/singleReactor.js';
import type { Server, Topology } from '../../../schedulers/Topology.js';
import {
  nodeRequest,
  openSockets,
  parseResponses,
  pause,
  rawClient,
  requireProgram,
  runProgram,
  type RawResponse,
} from './httpClients.js';

const handlerModule = new URL('../../../examples/http/handler.js', import.meta.url);
const HEADER_TIMEOUT = '400';
const IDLE_TIMEOUT = '600';
const DATE_LINE = /^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/;
const JSON_BODY = '{"message":"Hello, World!"}';
const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

/** Checks one response's status line, its exact header lines (Date by shape) and its body. */
function expectResponse(response: RawResponse | undefined, statusLine: string, headerLines: readonly string[], body: string): void {
  assert.ok(response, `expected a response "${statusLine}"`);
  assert.is(response.statusLine, statusLine);
  assert.match(response.headerLines[0] ?? '', DATE_LINE);
  assert.equal(response.headerLines.slice(1), headerLines);
  assert.is(response.body, body);
}

const hello = (response: RawResponse | undefined, close = false): void =>
  expectResponse(response, 'HTTP/1.1 200 OK', [...(close ? ['Connection: close'] : []), 'Content-Type: text/plain', 'Content-Length: 5'], 'hello');

const rejected = (response: RawResponse | undefined, status: string, reason: string): void =>
  expectResponse(response, `HTTP/1.1 ${status} ${reason}`, ['Connection: close', 'Content-Type: text/plain', `Content-Length: ${reason.length}`], reason);

test('curl and wrk are installed (the topology suites below drive them)', () => {
  requireProgram('curl', 'curl');
  requireProgram('wrk', 'wrk');
});

const topologies: ReadonlyArray<readonly [string, () => Topology, ('uring' | undefined)?]> = [
  ['singleReactor()', () => singleReactor()],
  // The io_uring backend under one reactor (CI's machines run io_uring; uringSupport.test.ts says so loudly).
  ["singleReactor() with backend 'uring'", () => singleReactor(), 'uring'],
  ['pooledReactor({ workers: 2 })', () => pooledReactor({ workers: 2 })],
  ["multiReactor({ reactors: 2, accept: 'acceptor' })", () => multiReactor({ reactors: 2, accept: 'acceptor' })],
  ["multiReactor({ reactors: 2, accept: 'shared' })", () => multiReactor({ reactors: 2, accept: 'shared' })],
];

for (const [name, topology, backend] of topologies) {
  const it = suite(`HTTP server on ${name}`);
  let server: Server | undefined;
  let port = 0;
  let url = '';
  const savedEnvironment = { header: process.env.RXLOOP_HTTP_HEADER_TIMEOUT, idle: process.env.RXLOOP_HTTP_IDLE_TIMEOUT };

  it.before(async () => {
    process.env.RXLOOP_HTTP_HEADER_TIMEOUT = HEADER_TIMEOUT;
    process.env.RXLOOP_HTTP_IDLE_TIMEOUT = IDLE_TIMEOUT;
    server = await serve(handlerModule, { host: '127.0.0.1', port: 0, scheduler: topology(), ...(backend === undefined ? {} : { backend }) });
    assert.is(server.address.kind, 'inet');
    port = (server.address as { port: number }).port;
    url = `http://127.0.0.1:${port}`;
  });

  it.after.each(() => {
    for (const socket of openSockets) socket.destroy();
    openSockets.clear();
  });

  it.after(async () => {
    await server?.stop({ deadline: 200 });
    for (const [variable, value] of [['RXLOOP_HTTP_HEADER_TIMEOUT', savedEnvironment.header], ['RXLOOP_HTTP_IDLE_TIMEOUT', savedEnvironment.idle]] as const) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
  });

  it("Node's http client: GET, GET /json, HEAD, a chunked POST /echo, 404 and 405 on one kept-alive socket", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const root = await nodeRequest(agent, port, 'GET', '/');
      assert.equal([root.status, root.headers['content-type'], root.headers['content-length'], root.body], [200, 'text/plain', '5', 'hello']);
      const json = await nodeRequest(agent, port, 'GET', '/json');
      assert.equal([json.status, json.headers['content-type'], JSON.parse(json.body)], [200, 'application/json', { message: 'Hello, World!' }]);
      const head = await nodeRequest(agent, port, 'HEAD', '/');
      assert.equal([head.status, head.headers['content-length'], head.body], [200, '5', '']);
      const echo = await nodeRequest(agent, port, 'POST', '/echo', ['hello ', 'chunked ', 'world']);
      assert.equal([echo.status, echo.headers['content-type'], echo.body], [200, 'application/octet-stream', 'hello chunked world']);
      const missing = await nodeRequest(agent, port, 'GET', '/missing');
      assert.equal([missing.status, missing.body], [404, 'Not Found']);
      const wrongMethod = await nodeRequest(agent, port, 'DELETE', '/');
      assert.equal([wrongMethod.status, wrongMethod.headers.allow, wrongMethod.body], [405, 'GET, HEAD', 'Method Not Allowed']);
      assert.equal([root, json, head, echo, missing, wrongMethod].map((r) => r.reusedSocket), [false, true, true, true, true, true]);
    } finally {
      agent.destroy();
    }
  });

  it('curl: exact status lines and headers for GET, HEAD, a chunked POST and 404', async () => {
    const get = await runProgram('curl', ['-s', '-i', '--http1.1', `${url}/`]);
    hello(parseResponses(get.stdout)[0]);
    const json = await runProgram('curl', ['-s', '-i', '--http1.1', `${url}/json`]);
    expectResponse(parseResponses(json.stdout)[0], 'HTTP/1.1 200 OK', ['Content-Type: application/json', `Content-Length: ${JSON_BODY.length}`], JSON_BODY);
    const head = await runProgram('curl', ['-s', '-I', '--http1.1', `${url}/`]);
    expectResponse(parseResponses(head.stdout, new Set([0]))[0], 'HTTP/1.1 200 OK', ['Content-Type: text/plain', 'Content-Length: 5'], '');
    const post = await runProgram('curl', ['-s', '-i', '--http1.1', '-H', 'Transfer-Encoding: chunked', '--data-binary', 'sent by curl', `${url}/echo`]);
    expectResponse(parseResponses(post.stdout)[0], 'HTTP/1.1 200 OK', ['Content-Type: application/octet-stream', 'Content-Length: 12'], 'sent by curl');
    const missing = await runProgram('curl', ['-s', '-i', '--http1.1', `${url}/nowhere`]);
    expectResponse(parseResponses(missing.stdout)[0], 'HTTP/1.1 404 Not Found', ['Content-Type: text/plain', 'Content-Length: 9'], 'Not Found');
  });

  it('curl: two URLs in one invocation share one kept-alive connection', async () => {
    const { stdout } = await runProgram('curl', ['-s', '-i', '--http1.1', '-w', '\n--connects=%{num_connects}--\n', `${url}/`, `${url}/json`]);
    const parts = stdout.split(/\n--connects=(\d+)--\n/);
    // [response 1, connects 1, response 2, connects 2, '']
    assert.equal([parts[1], parts[3]], ['1', '0'], stdout);
    hello(parseResponses(parts[0]!)[0]);
    expectResponse(parseResponses(parts[2]!)[0], 'HTTP/1.1 200 OK', ['Content-Type: application/json', `Content-Length: ${JSON_BODY.length}`], JSON_BODY);
  });

  it('wrk -t1 -c10 -d2s: requests served, no non-2xx responses, no socket errors', async () => {
    const { stdout } = await runProgram('wrk', ['-t1', '-c10', '-d2s', `${url}/`]);
    const served = /(\d+) requests in/.exec(stdout);
    assert.ok(served && Number(served[1]) > 0, `wrk served requests:\n${stdout}`);
    // wrk prints these lines only when they are not zero.
    assert.not.match(stdout, /Non-2xx or 3xx responses/, stdout);
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    assert.is(errors === null ? '0,0,0,0' : errors.slice(1).join(), '0,0,0,0', stdout);
  });

  it('pipelining: requests sent in one write are answered in order', async () => {
    const client = await rawClient(port);
    client.socket.write(
      GET +
        'GET /json HTTP/1.1\r\nHost: x\r\n\r\n' +
        'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' +
        'GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const responses = parseResponses(await client.ended, new Set([2]));
    assert.equal(responses.map((r) => r.status), [200, 200, 200, 200, 404]);
    hello(responses[0]);
    assert.is(responses[1]!.body, JSON_BODY);
    assert.is(responses[2]!.headers.get('content-length'), '5');
    assert.is(responses[3]!.body, 'abc');
    expectResponse(responses[4], 'HTTP/1.1 404 Not Found', ['Connection: close', 'Content-Type: text/plain', 'Content-Length: 9'], 'Not Found');
  });

  it('bad input gets 400, 431, 413 or 505 and closes only its own connection', async () => {
    const bystander = await rawClient(port);
    bystander.socket.write(GET);
    await bystander.waitUntil((text) => text.endsWith('hello'), 'a response');
    const cases: ReadonlyArray<readonly [string, string, string]> = [
      ['G@T / HTTP/1.1\r\nHost: x\r\n\r\n', '400', 'Bad Request'],
      [`GET / HTTP/1.1\r\nHost: x\r\n${'X-Flood: 0123456789012345678901234567890123456789\r\n'.repeat(400)}\r\n`, '431', 'Request Header Fields Too Large'],
      // The refused body keeps coming after the 413: the server drains it before closing, so no reset eats the answer.
      [`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n${'b'.repeat(200_000)}`, '413', 'Content Too Large'],
      ['GET / HTTP/2.0\r\nHost: x\r\n\r\n', '505', 'HTTP Version Not Supported'],
    ];
    for (const [input, status, reason] of cases) {
      const client = await rawClient(port);
      client.socket.write(input);
      const responses = parseResponses(await client.ended);
      assert.is(responses.length, 1, `${status}: one response`);
      rejected(responses[0], status, reason);
    }
    bystander.socket.write(GET);
    await bystander.waitUntil((text) => text.endsWith('hello') && parseResponses(text).length === 2, 'a second response');
    parseResponses(bystander.received()).forEach((response) => hello(response));
    const again = await rawClient(port);
    again.socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    hello(parseResponses(await again.ended)[0], true);
  });

  it('slowloris: a head that trickles in is cut off with 408 at the header timeout', async () => {
    const client = await rawClient(port);
    client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    let ended = false;
    void client.ended.then(() => (ended = true), () => undefined);
    for (let line = 0; !ended && line < 50; line++) {
      client.socket.write(`X-Drip-${line}: y\r\n`);
      await pause(50);
    }
    rejected(parseResponses(await client.ended)[0], '408', 'Request Timeout');
  });

  it('an idle keep-alive connection is closed after the idle timeout, without a response', async () => {
    const client = await rawClient(port);
    client.socket.write(GET);
    const received = await client.ended;
    assert.is(parseResponses(received).length, 1);
    hello(parseResponses(received)[0]);
  });

  it('at the end of input, complete requests are answered, then the connection closes', async () => {
    const client = await rawClient(port);
    client.socket.end(`${GET}GET /json HTTP/1.1\r\nHost: x\r\n\r\nGET /incomplete HTT`);
    const responses = parseResponses(await client.ended);
    assert.equal(responses.map((r) => r.body), ['hello', JSON_BODY]);
  });

  it.run();
}

test.run();
