import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError, type Connection } from '../../src/index.js';
import { containError } from '../../operators/containError.js';

/** A connection that records how it was ended. */
function recording(closedWith?: RxloopError, isOutputEnded = false): { connection: Connection; calls: string[] } {
  const calls: string[] = [];
  const connection = {
    isOutputEnded,
    closedWith: closedWith === undefined ? undefined : { error: closedWith },
    close: (options: { linger?: number }) => calls.push(`close(${options.linger ?? ''})`),
    abort: () => calls.push('abort'),
  } as unknown as Connection;
  return { connection, calls };
}

test('errors about the peer\'s input or pace close in order, with the linger given', () => {
  for (const code of [ErrorCode.FRAME_TOO_LONG, ErrorCode.FRAME_CORRUPT, ErrorCode.FRAME_TRUNCATED,
    ErrorCode.INVALID_ENCODING, ErrorCode.TIMEOUT, ErrorCode.OVERLOADED]) {
    const { connection, calls } = recording();
    assert.is(containError(connection, new RxloopError(code, 'x'), 100), 'peer-fault', code);
    assert.equal(calls, ['close(100)'], code);
  }
});

test('anything else resets: a plain Error, a failed task, a write to a closed connection', () => {
  for (const error of [new Error('bug'), new RxloopError(ErrorCode.TASK_FAILED, 'x'), new RxloopError(ErrorCode.SOCKET_CLOSED, 'x'), 'thrown text']) {
    const { connection, calls } = recording();
    assert.is(containError(connection, error), 'fault');
    assert.equal(calls, ['abort']);
  }
});

test('a fault after the pipeline ended its output (its last word, a 500) closes in order', () => {
  const { connection, calls } = recording(undefined, true);
  assert.is(containError(connection, new RxloopError(ErrorCode.TASK_FAILED, 'the route threw')), 'fault');
  assert.equal(calls, ['close()']);
});

test('a peer reset, reported by the error or by how the connection closed, is the peer\'s doing', () => {
  const reset = new RxloopError(ErrorCode.CONNECTION_RESET, 'reset');
  assert.is(containError(recording().connection, reset), 'peer-reset');
  const { connection } = recording(reset);
  assert.is(containError(connection, new RxloopError(ErrorCode.SOCKET_CLOSED, 'write after the reset')), 'peer-reset');
});

test.run();
