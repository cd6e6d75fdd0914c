import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appRouter } from '../../../examples/http/appRouter.js';
import { HttpSession } from '../../../examples/http/HttpSession.js';
import { DATE, fixedDate } from './fixedDate.js';

function ask(request: string | Buffer): string {
  const session = new HttpSession(appRouter().handle, { date: fixedDate() });
  return session.receive(typeof request === 'string' ? Buffer.from(request, 'latin1') : request)?.toString('latin1') ?? '';
}

test('GET / answers hello as text/plain', () => {
  assert.is(ask('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`);
});

test('GET /json answers the TechEmpower message', () => {
  assert.is(
    ask('GET /json HTTP/1.1\r\nHost: x\r\n\r\n'),
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"message":"Hello, World!"}`,
  );
  assert.is(ask('HEAD /json HTTP/1.1\r\nHost: x\r\n\r\n'), `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n`);
});

test('POST /echo answers the body, Content-Length or chunked, binary-safe', () => {
  const binary = Buffer.from([0, 1, 2, 13, 10, 255]);
  const out = ask(Buffer.concat([Buffer.from('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n'), binary]));
  assert.is(out, `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: application/octet-stream\r\nContent-Length: 6\r\n\r\n${binary.toString('latin1')}`);
  assert.match(ask('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n'), /Content-Length: 3\r\n\r\nabc$/);
  assert.match(ask('POST /echo HTTP/1.1\r\nHost: x\r\n\r\n'), /Content-Length: 0\r\n\r\n$/);
});

test('other methods get 405, other paths 404', () => {
  assert.match(ask('POST / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 405 Method Not Allowed\r\n.*Allow: GET, HEAD\r\n/s);
  assert.match(ask('GET /echo HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 405 Method Not Allowed\r\n.*Allow: POST\r\n/s);
  assert.match(ask('GET /json/ HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 404 Not Found\r\n/);
});

test.run();
