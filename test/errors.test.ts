import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { retry } from 'rxjs';
import { ErrorCode, RxloopError, connect, type RxloopErrorOptions } from '../src/index.js';
import { toRxloopError } from '../src/errors.js';
import { freePort, within } from './support/spawned.js';

const systemError = (code: string, message = `${code} happened`, syscall = 'read'): NodeJS.ErrnoException =>
  Object.assign(new Error(message), { code, syscall });

test('every code is a distinct ERR_ string named after its key', () => {
  const entries = Object.entries(ErrorCode);
  assert.ok(entries.length >= 25);
  for (const [key, value] of entries) assert.is(value, `ERR_${key}`, key);
  assert.is(new Set(Object.values(ErrorCode)).size, entries.length);
});

test('the TSDoc examples: an RxloopError is an Error with a stable name and code, and optional errno, syscall, cause', () => {
  const err = new RxloopError(ErrorCode.FRAME_TOO_LONG, 'expected a frame of at most 1024 bytes, got 70000');
  assert.is(err.code, 'ERR_FRAME_TOO_LONG');
  assert.instance(err, Error);
  assert.is(err.name, 'RxloopError');
  assert.is(err.message, 'expected a frame of at most 1024 bytes, got 70000');
  assert.is(err.errno, undefined);
  assert.is(err.syscall, undefined);
  assert.not.ok('cause' in err, 'no cause unless one is given');
  assert.match(String(err), /^RxloopError: expected a frame/);

  const cause = new Error('read ECONNRESET');
  const options: RxloopErrorOptions = { errno: 'ECONNRESET', syscall: 'read', cause };
  const error = new RxloopError(ErrorCode.CONNECTION_RESET, 'expected a reply, the peer reset', options);
  assert.equal([error.errno, error.syscall], ['ECONNRESET', 'read']);
  assert.is(error.cause, cause);
});

test('toRxloopError: each operating-system error name gets its code, with errno, syscall and the cause kept', () => {
  const expected: [string, ErrorCode][] = [
    ['ECONNREFUSED', ErrorCode.CONNECT_REFUSED],
    ['ENOENT', ErrorCode.CONNECT_REFUSED],
    ['ETIMEDOUT', ErrorCode.CONNECT_TIMEOUT],
    ['ENOTFOUND', ErrorCode.HOST_NOT_FOUND],
    ['EAI_AGAIN', ErrorCode.HOST_NOT_FOUND],
    ['EADDRINUSE', ErrorCode.ADDRESS_IN_USE],
    ['EACCES', ErrorCode.ACCESS_DENIED],
    ['EPERM', ErrorCode.ACCESS_DENIED],
    ['EMFILE', ErrorCode.TOO_MANY_OPEN_FILES],
    ['ENFILE', ErrorCode.TOO_MANY_OPEN_FILES],
    ['ECONNRESET', ErrorCode.CONNECTION_RESET],
    ['EPIPE', ErrorCode.CONNECTION_RESET],
    ['ECONNABORTED', ErrorCode.CONNECTION_RESET],
    ['ERR_STREAM_DESTROYED', ErrorCode.SOCKET_CLOSED],
    ['ERR_STREAM_WRITE_AFTER_END', ErrorCode.SOCKET_CLOSED],
    ['ERR_SOCKET_CLOSED', ErrorCode.SOCKET_CLOSED],
    ['EHOSTUNREACH', ErrorCode.SOCKET],
    ['ERR_SSL_WRONG_VERSION_NUMBER', ErrorCode.TLS],
  ];
  for (const [errno, code] of expected) {
    const cause = systemError(errno, `read ${errno}`);
    const error = toRxloopError(cause, 'read from 127.0.0.1:6380');
    assert.instance(error, RxloopError);
    assert.is(error.code, code, errno);
    assert.is(error.errno, errno);
    assert.is(error.syscall, 'read');
    assert.is(error.cause, cause);
    assert.is(error.message, `read from 127.0.0.1:6380 failed: read ${errno}`);
  }
});

test('toRxloopError: an RxloopError stays itself; TLS words make ERR_TLS; anything else is ERR_SOCKET with its text', () => {
  const coded = new RxloopError(ErrorCode.TIMEOUT, 'slow');
  assert.is(toRxloopError(coded, 'anything'), coded);
  assert.is(toRxloopError(new Error('unable to verify the first certificate'), 'connect').code, ErrorCode.TLS);
  assert.is(toRxloopError(new Error('Client network socket disconnected before secure TLS connection'), 'connect').code, ErrorCode.TLS);
  const odd = toRxloopError('a string', 'write');
  assert.is(odd.code, ErrorCode.SOCKET);
  assert.is(odd.message, 'write failed: a string');
  assert.is(odd.errno, undefined);
  const nothing = toRxloopError(undefined, 'close');
  assert.is(nothing.code, ErrorCode.SOCKET);
  assert.is(nothing.message, 'close failed: undefined');
  assert.is(toRxloopError({ code: 42, message: 'numeric code' }, 'x').errno, undefined, 'only a string code is an errno');
});

test('the ErrorCode TSDoc example: connect, retried, to a loopback port nobody listens on ends in ERR_CONNECT_REFUSED', async () => {
  const port = await freePort();
  let attempts = 0;
  const error = await within(5000, 'the retries to give up', new Promise<RxloopError>((resolve) => {
    connect({ host: '127.0.0.1', port }).pipe(
      retry({ count: 3, delay: () => {
        attempts++;
        return Promise.resolve();
      }, resetOnSuccess: true }),
    ).subscribe({ error: resolve });
  }));
  assert.is(error.code, ErrorCode.CONNECT_REFUSED, 'matched on the code, never the message');
  assert.is(error.errno, 'ECONNREFUSED');
  assert.is(attempts, 3, 'retried three times, then the error');
});

test.run();
