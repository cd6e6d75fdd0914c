import type { Observer, Unsubscribable } from 'rxjs';
import type { BufferSource, ProvidedReads, ReadMode } from '../backends/Backend.js';
import type { Connection } from '../Connection.js';
import type { DataObserver } from '../ConnectionData.js';
import type { RxloopError } from '../errors.js';
import { INPUT_ENDED } from './connectionFlags.js';
import { ConnectionTeardown, DATA, READABLE } from './ConnectionTeardown.js';
import type { WaitingReader } from './RareState.js';
import { addSubscriber, takeSubscribers } from './subscriberList.js';

// The line of a connection's readers: who reads now, who waits for a turn, and how the turn passes.
//
// One reader at a time reads a connection: the subscribers of data$ (any number, together), or of readable$, or
// one leased reader. A reader that asks while another reads waits, in order, and starts the moment the readers
// before it are done: the transport is switched to its mode (and, for a leased reader, its buffer source) before
// the next byte is handed over, so bytes already waiting go to it and none is read twice. A reader that leaves
// before its turn takes nothing; when the input ends, readers still waiting are finished too.

/**
 * Subscribes an observer to the completion events without an RxJS subscriber in between: what `data$` does
 * for a subscriber, and what `sendTo` does for its own writer when its source is a `data$` (an echo, a proxy),
 * so the bytes go from the socket to the write with nothing in the way. Returns the teardown, or `undefined`
 * when the observer was finished at once (input already ended).
 *
 * @internal
 */
export function subscribeData(connection: Connection, observer: DataObserver): Unsubscribable | undefined {
  if ((connection.flags & INPUT_ENDED) !== 0 || connection.closedWith !== undefined) {
    finishReader(connection, observer);
    return undefined;
  }
  const teardown = new ConnectionTeardown(connection, observer, DATA);
  if (mayStart(connection, 'completion')) {
    startReading(connection, 'completion', undefined);
    connection.dataSubscribers = addSubscriber(connection.dataSubscribers, observer);
  } else {
    teardown.waiting = wait(connection, {
      mode: 'completion',
      start: () => {
        teardown.waiting = undefined;
        connection.dataSubscribers = addSubscriber(connection.dataSubscribers, observer);
      },
      finish: () => finishReader(connection, observer),
    });
  }
  return teardown;
}

/** @internal subscribes to readiness events (the body of `readable$`) */
export function subscribeReadable(connection: Connection, subscriber: Observer<Connection>): Unsubscribable | undefined {
  if ((connection.flags & INPUT_ENDED) !== 0 || connection.closedWith !== undefined) {
    if (connection.transport.readableLength > 0) subscriber.next(connection);
    finishReader(connection, subscriber);
    return undefined;
  }
  const teardown = new ConnectionTeardown(connection, subscriber, READABLE);
  const start = (): void => {
    const rare = connection.rareState();
    rare.readableSubscribers = addSubscriber(rare.readableSubscribers, subscriber);
    if (connection.transport.readableLength > 0) subscriber.next(connection);
  };
  if (mayStart(connection, 'readiness')) {
    startReading(connection, 'readiness', undefined);
    start();
  } else {
    teardown.waiting = wait(connection, {
      mode: 'readiness',
      start: () => {
        teardown.waiting = undefined;
        start();
      },
      finish: () => {
        if (connection.transport.readableLength > 0) subscriber.next(connection);
        finishReader(connection, subscriber);
      },
    });
  }
  return teardown;
}

/**
 * Reads in leased mode: the backend fills buffers taken from `source` and `onChunks` receives views of the
 * filled bytes, a batch at a time. This is the primitive under the `proactor()` operator; most code wants
 * that operator instead. While other readers read, the reader waits its turn (see {@link Connection}); it
 * starts asking `source` for buffers only then. The returned function stops it, or takes it out of the line.
 *
 * With `mode` `'provided'`, the buffers are the backend's own (see `ProvidedReads`): `source` is then the
 * reader's credit, and each view goes back through `Connection.releaseProvided`.
 *
 * @internal
 * @param source supplies the buffers (returning `null` pauses reading until {@link Connection.resumeLeased})
 * @param onChunks receives the filled views; the array is only valid during the call
 * @param onEnd called once at the end of input (`undefined`) or on failure (the error)
 * @param mode `'leased'` (the default) or `'provided'`
 * @returns the function that stops this reader
 */
export function readLeased(
  connection: Connection,
  source: BufferSource | ProvidedReads,
  onChunks: (chunks: readonly Buffer[]) => void,
  onEnd: (error: RxloopError | undefined) => void,
  mode: 'leased' | 'provided' = 'leased',
): () => void {
  if ((connection.flags & INPUT_ENDED) !== 0 || connection.closedWith !== undefined) {
    onEnd(connection.closedWith?.error);
    return () => undefined;
  }
  let state: 'waiting' | 'reading' | 'stopped' = 'reading';
  const start = (): void => {
    state = 'reading';
    const rare = connection.rareState();
    rare.leasedReader = onChunks;
    rare.leasedEnd = (error) => {
      state = 'stopped';
      onEnd(error);
    };
  };
  let waiting: WaitingReader | undefined;
  if (mayStart(connection, mode)) {
    startReading(connection, mode, source);
    start();
  } else {
    state = 'waiting';
    waiting = wait(connection, {
      mode,
      source,
      start,
      finish: (error) => {
        state = 'stopped';
        onEnd(error);
      },
    });
  }
  return () => {
    if (state === 'stopped') return;
    const was = state;
    state = 'stopped';
    if (was === 'waiting') {
      leaveLine(connection, waiting!);
      return;
    }
    const rare = connection.rare!;
    if (rare.leasedReader === onChunks) {
      rare.leasedReader = undefined;
      rare.leasedEnd = undefined;
      removeReader(connection);
    }
  };
}


/** Whether readers of `mode` read alone (their own buffers or credit), so each starts the mode afresh. */
function alone(mode: ReadMode): boolean {
  return mode === 'leased' || mode === 'provided';
}

/** Whether a reader of `mode` may start now rather than wait: nobody reads, or it joins readers of its kind. */
function mayStart(connection: Connection, mode: ReadMode): boolean {
  if (connection.rare?.waiting !== undefined) return false;
  return connection.readers === 0 || (connection.mode === mode && !alone(mode));
}

/** Counts a reader in, switching the transport to its mode (always for a leased reader: a new source). */
function startReading(connection: Connection, mode: ReadMode, source: BufferSource | ProvidedReads | undefined): void {
  if (connection.mode !== mode || alone(mode)) connection.transport.setReadMode(mode, source);
  connection.mode = mode;
  connection.readers++;
  connection.updateReading(true);
}

/** Puts a reader in line; it starts when the readers before it are done. */
function wait(connection: Connection, reader: WaitingReader): WaitingReader {
  const rare = connection.rareState();
  if (rare.waiting === undefined) rare.waiting = [reader];
  else rare.waiting.push(reader);
  return reader;
}

/** @internal takes a reader that has not had its turn out of the line */
export function leaveLine(connection: Connection, reader: WaitingReader): void {
  const waiting = connection.rare?.waiting;
  if (waiting === undefined) return;
  const index = waiting.indexOf(reader);
  if (index === -1) return;
  waiting.splice(index, 1);
  if (waiting.length === 0) connection.rare!.waiting = undefined;
  // The readers behind it may now join the active ones.
  if (index === 0 && connection.readers > 0) {
    startWaiting(connection, true);
    connection.updateReading(true);
  }
}

/** @internal one active reader is done */
export function removeReader(connection: Connection): void {
  connection.readers--;
  if (connection.readers === 0 && connection.rare?.waiting !== undefined) startWaiting(connection, false);
  connection.updateReading(true);
}

/**
 * Gives the turn to the first readers in line: the first one, and those after it that read the same way
 * (several `data$` subscribers read together). With `joinOnly`, only readers that can join the active ones.
 */
function startWaiting(connection: Connection, joinOnly: boolean): void {
  const rare = connection.rare!;
  while (rare.waiting !== undefined) {
    const next = rare.waiting[0]!;
    if (connection.readers > 0 && !(next.mode === connection.mode && !alone(next.mode))) return;
    if (joinOnly && connection.readers === 0) return;
    rare.waiting.shift();
    if (rare.waiting.length === 0) rare.waiting = undefined;
    if ((connection.flags & INPUT_ENDED) !== 0 || connection.closedWith !== undefined) {
      next.finish(connection.closedWith?.error);
      continue;
    }
    if (connection.mode !== next.mode || alone(next.mode)) connection.transport.setReadMode(next.mode, next.source);
    connection.mode = next.mode;
    connection.readers++;
    next.start();
  }
}

/** @internal */
export function finishReader(connection: Connection, subscriber: Observer<never>): void {
  const error = connection.closedWith?.error;
  if (error !== undefined) subscriber.error(error);
  else subscriber.complete();
}

export function endReaders(connection: Connection, error: RxloopError | undefined): void {
  // Every active reader is finished here; their teardowns find themselves gone from the lists and count nothing.
  connection.readers = 0;
  const data = takeSubscribers(connection.dataSubscribers);
  connection.dataSubscribers = undefined;
  for (const subscriber of data) {
    if (error !== undefined) subscriber.error(error);
    else subscriber.complete();
  }
  const rare = connection.rare;
  if (rare === undefined) return;
  const readable = takeSubscribers(rare.readableSubscribers);
  rare.readableSubscribers = undefined;
  for (const subscriber of readable) {
    if (error !== undefined) subscriber.error(error);
    else subscriber.complete();
  }
  const leasedEnd = rare.leasedEnd;
  rare.leasedReader = undefined;
  rare.leasedEnd = undefined;
  leasedEnd?.(error);
  // Readers still in line get no turn now: the input is over.
  const waiting = rare.waiting;
  rare.waiting = undefined;
  if (waiting !== undefined) for (const reader of waiting) reader.finish(error);
}
