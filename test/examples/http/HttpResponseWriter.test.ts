import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpDate } from '../../../examples/http/HttpDate.js';
import { ConnectionMode } from '../../../examples/http/httpHead.js';
import { HttpPreparedResponse } from '../../../examples/http/HttpPreparedResponse.js';
import { HttpResponseWriter } from '../../../examples/http/HttpResponseWriter.js';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { DATE, fixedDate } from './fixedDate.js';

function batch(writer: HttpResponseWriter, write: (writer: HttpResponseWriter) => void): string | null {
  writer.startBatch();
  write(writer);
  return writer.take()?.toString('latin1') ?? null;
}

function throwsInvalid(run: () => unknown): void {
  try {
    run();
    assert.unreachable('expected a throw');
  } catch (error) {
    assert.instance(error, RxloopError);
    assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  }
}

test('send writes exact bytes: string bodies as UTF-8, byte bodies as they are, extra headers in order', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const out = batch(writer, (w) => {
    w.begin(ConnectionMode.KEEP_ALIVE, false);
    w.send(200, 'text/plain; charset=utf-8', 'h\u00e9llo \u{1f600}');
    w.begin(ConnectionMode.KEEP_ALIVE, false);
    w.send(422, 'application/octet-stream', new Uint8Array([0, 255, 13, 10]), [
      ['X-One', '1'],
      ['x-two', 'a "b"\t c'],
    ]);
    w.begin(ConnectionMode.KEEP_ALIVE, false);
    w.send(299, 'text/plain', '');
  });
  assert.is(
    out,
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\n` +
      Buffer.from('h\u00e9llo \u{1f600}').toString('latin1') +
      `HTTP/1.1 422 Unprocessable Content\r\nDate: ${DATE}\r\nContent-Type: application/octet-stream\r\nContent-Length: 4\r\nX-One: 1\r\nx-two: a "b"\t c\r\n\r\n\x00\xff\r\n` +
      `HTTP/1.1 299 \r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n`,
  );
});

test('connection modes and HEAD', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const one = (mode: ConnectionMode, head: boolean): string | null =>
    batch(writer, (w) => {
      w.begin(mode, head);
      w.send(200, 'text/plain', 'hello');
    });
  const base = (connection: string): string =>
    `HTTP/1.1 200 OK\r\nDate: ${DATE}\r\n${connection}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\n`;
  assert.is(one(ConnectionMode.KEEP_ALIVE, false), `${base('')}hello`);
  assert.is(one(ConnectionMode.KEEP_ALIVE_10, false), `${base('Connection: keep-alive\r\n')}hello`);
  assert.is(one(ConnectionMode.CLOSE, false), `${base('Connection: close\r\n')}hello`);
  assert.is(one(ConnectionMode.KEEP_ALIVE, true), base(''));
  assert.is(one(ConnectionMode.CLOSE, true), base('Connection: close\r\n'));
});

test('a prepared response and send() produce the same bytes', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const prepared = new HttpPreparedResponse(200, 'application/json', '{"a":1}', [['Cache-Control', 'no-store']]);
  for (const mode of [ConnectionMode.KEEP_ALIVE, ConnectionMode.KEEP_ALIVE_10, ConnectionMode.CLOSE]) {
    for (const head of [false, true]) {
      const a = batch(writer, (w) => {
        w.begin(mode, head);
        w.sendPrepared(prepared);
      });
      const b = batch(writer, (w) => {
        w.begin(mode, head);
        w.send(200, 'application/json', '{"a":1}', [['Cache-Control', 'no-store']]);
      });
      assert.is(a, b);
    }
  }
});

test('error responses close the connection; 100 Continue has no headers', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const expected: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    405: 'Method Not Allowed',
    408: 'Request Timeout',
    413: 'Content Too Large',
    431: 'Request Header Fields Too Large',
    500: 'Internal Server Error',
    501: 'Not Implemented',
    505: 'HTTP Version Not Supported',
    599: 'Error',
  };
  for (const [status, reason] of Object.entries(expected)) {
    const phrase = status === '599' ? '' : reason;
    const out = batch(writer, (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.writeError(Number(status));
    });
    assert.is(
      out,
      `HTTP/1.1 ${status} ${phrase}\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length}\r\n\r\n${reason}`,
    );
  }
  const head = batch(writer, (w) => {
    w.begin(ConnectionMode.KEEP_ALIVE, true);
    w.writeError(500);
  });
  assert.is(head, `HTTP/1.1 500 Internal Server Error\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\n`);
  assert.is(batch(writer, (w) => w.writeContinue()), 'HTTP/1.1 100 Continue\r\n\r\n');
});

test('one response per request; rollback drops a half-answered request', () => {
  const writer = new HttpResponseWriter(fixedDate());
  writer.startBatch();
  writer.begin(ConnectionMode.KEEP_ALIVE, false);
  writer.send(200, 'text/plain', 'a');
  assert.ok(writer.responded);
  throwsInvalid(() => writer.send(200, 'text/plain', 'b'));
  throwsInvalid(() => writer.sendPrepared(new HttpPreparedResponse(200, 'text/plain', 'c')));
  writer.begin(ConnectionMode.KEEP_ALIVE, false);
  assert.not.ok(writer.responded);
  writer.send(200, 'text/plain', 'second');
  writer.rollback();
  assert.not.ok(writer.responded);
  writer.writeError(500);
  const out = writer.take()!.toString('latin1');
  assert.is(out.match(/HTTP\/1\.1/g)!.length, 2);
  assert.not.match(out, 'second');
  assert.is(writer.take(), null);
});

test('send refuses bad statuses, headers and content types', () => {
  const writer = new HttpResponseWriter(fixedDate());
  writer.startBatch();
  const attempts: Array<(w: HttpResponseWriter) => void> = [
    (w) => w.send(204, 'text/plain', ''),
    (w) => w.send(99, 'text/plain', ''),
    (w) => w.send(200, 'text/plain\r\nSet-Cookie: a=b', ''),
    (w) => w.send(200, 'text/plain', '', [['X', 'v\r\nInjected: 1']]),
    (w) => w.send(200, 'text/plain', '', [['Content-Length', '0']]),
    (w) => w.send(200, 'text/plain', '', [['Bad:Name', 'v']]),
  ];
  for (const attempt of attempts) {
    writer.begin(ConnectionMode.KEEP_ALIVE, false);
    throwsInvalid(() => attempt(writer));
    writer.rollback();
  }
  assert.is(writer.take(), null);
  // A content type is checked once per distinct string; the same bad string stays bad.
  writer.startBatch();
  writer.begin(ConnectionMode.KEEP_ALIVE, false);
  throwsInvalid(() => writer.send(200, 'a\nb', ''));
  writer.begin(ConnectionMode.KEEP_ALIVE, false);
  throwsInvalid(() => writer.send(200, 'a\nb', ''));
  writer.rollback();
  assert.is(writer.take(), null);
});

test('handed-out batches are never overwritten, across arena refills and by other writers', () => {
  const writers = [new HttpResponseWriter(fixedDate()), new HttpResponseWriter(fixedDate())];
  const kept: Array<[Buffer, string]> = [];
  for (let i = 0; i < 600; i++) {
    const writer = writers[i % 2]!;
    const body = `response ${i} `.repeat(1 + (i % 7));
    writer.startBatch();
    writer.begin(ConnectionMode.KEEP_ALIVE, false);
    writer.send(200, 'text/plain', body);
    const bytes = writer.take()!;
    kept.push([bytes, bytes.toString('latin1')]);
    assert.ok(bytes.toString('latin1').endsWith(body));
  }
  for (const [bytes, text] of kept) assert.is(bytes.toString('latin1'), text);
});

test('a write outside startBatch() lands in fresh memory, not on bytes handed out', () => {
  const a = new HttpResponseWriter(fixedDate());
  const b = new HttpResponseWriter(fixedDate());
  const one = (writer: HttpResponseWriter, body: string): Buffer => {
    writer.begin(ConnectionMode.KEEP_ALIVE, false);
    writer.send(200, 'text/plain', body);
    return writer.take()!;
  };
  a.startBatch();
  one(a, 'a1');
  b.startBatch();
  const kept = one(b, 'b1');
  const text = kept.toString('latin1');
  const loose = one(a, 'a2, written without startBatch()');
  assert.ok(loose.toString('latin1').endsWith('a2, written without startBatch()'));
  assert.is(kept.toString('latin1'), text);
  assert.is(b.take(), null);
});

test('a batch of one prepared response is its shared bytes, never copied and never changed afterwards', () => {
  let now = Date.UTC(2024, 0, 2, 3, 4, 5);
  const expire: Array<() => void> = [];
  const date = new HttpDate(() => now, (callback) => void expire.push(callback));
  const writer = new HttpResponseWriter(date);
  const hello = new HttpPreparedResponse(200, 'text/plain', 'hello');
  const one = (head = false): Buffer => {
    writer.startBatch();
    writer.begin(ConnectionMode.KEEP_ALIVE, head);
    writer.sendPrepared(hello);
    return writer.take()!;
  };
  const first = one();
  assert.is(first, hello.bytes(ConnectionMode.KEEP_ALIVE, false, date));
  assert.is(one(), first);
  const firstText = first.toString('latin1');
  const firstHead = one(true);
  assert.is(firstHead.toString('latin1'), firstText.slice(0, -'hello'.length));
  // The next second: new bytes with the new date; the ones handed out (maybe still queued on a socket) stay.
  now += 1000;
  expire.splice(0).forEach((fire) => fire());
  const second = one();
  assert.is.not(second, first);
  assert.match(second.toString('latin1'), 'Date: Tue, 02 Jan 2024 03:04:06 GMT\r\n');
  assert.is(first.toString('latin1'), firstText);
  assert.match(firstText, 'Date: Tue, 02 Jan 2024 03:04:05 GMT\r\n');
  assert.is(firstHead.toString('latin1'), firstText.slice(0, -'hello'.length));
});

test('a prepared response followed by anything is copied into the batch, in order; rollback drops only its own', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const hello = new HttpPreparedResponse(200, 'text/plain', 'hello');
  const helloText = hello.bytes(ConnectionMode.KEEP_ALIVE, false, writer.date).toString('latin1');
  const sequences: Array<[string, (w: HttpResponseWriter) => void, string]> = [
    ['prepared, prepared', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
    }, helloText + helloText],
    ['prepared, send', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.send(200, 'text/plain', 'x');
    }, `${helloText}HTTP/1.1 200 OK\r\nDate: ${DATE}\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx`],
    ['prepared, 100 Continue', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.writeContinue();
    }, `${helloText}HTTP/1.1 100 Continue\r\n\r\n`],
    ['prepared, rejected request', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.begin(ConnectionMode.CLOSE, false);
      w.writeError(400);
    }, `${helloText}HTTP/1.1 400 Bad Request\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request`],
    ['prepared then the handler threw', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.rollback();
      w.writeError(500);
    }, `HTTP/1.1 500 Internal Server Error\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nInternal Server Error`],
    ['prepared, then prepared and the handler threw', (w) => {
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.begin(ConnectionMode.KEEP_ALIVE, false);
      w.sendPrepared(hello);
      w.rollback();
      w.writeError(500);
    }, `${helloText}HTTP/1.1 500 Internal Server Error\r\nDate: ${DATE}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nInternal Server Error`],
  ];
  for (const [name, write, expected] of sequences) {
    assert.is(batch(writer, write), expected, name);
    assert.is(hello.bytes(ConnectionMode.KEEP_ALIVE, false, writer.date).toString('latin1'), helloText, `${name}: the prepared bytes`);
  }
  // A batch that only rolled back holds nothing.
  assert.is(batch(writer, (w) => {
    w.begin(ConnectionMode.KEEP_ALIVE, false);
    w.sendPrepared(hello);
    w.rollback();
  }), null);
});

test('large and growing batches are complete', () => {
  const writer = new HttpResponseWriter(fixedDate());
  const big = Buffer.alloc(100_000, 0x61);
  writer.startBatch();
  for (let i = 0; i < 3; i++) {
    writer.begin(ConnectionMode.KEEP_ALIVE, false);
    writer.send(200, 'text/plain', i === 1 ? big : 'small');
  }
  const out = writer.take()!.toString('latin1');
  assert.is(out.match(/HTTP\/1\.1 200 OK/g)!.length, 3);
  assert.ok(out.includes(`Content-Length: 100000\r\n\r\n${'a'.repeat(100_000)}HTTP/1.1`));
  assert.ok(out.endsWith('\r\n\r\nsmall'));
  // A batch that outgrows the arena halfway moves what it wrote so far.
  const kept: string[] = [];
  const outs: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    writer.startBatch();
    for (let j = 0; j < 5; j++) {
      writer.begin(ConnectionMode.KEEP_ALIVE, false);
      writer.send(200, 'text/plain', `${i}:${j}`.padEnd(40, '.'));
    }
    const bytes = writer.take()!;
    outs.push(bytes);
    kept.push(bytes.toString('latin1'));
    assert.is(bytes.toString('latin1').match(/HTTP\/1\.1/g)!.length, 5);
  }
  outs.forEach((bytes, i) => assert.is(bytes.toString('latin1'), kept[i]));
});

test.run();
