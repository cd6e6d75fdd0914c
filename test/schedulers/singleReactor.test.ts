import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect as netConnect } from 'node:net';
import { firstValueFrom, observeOn, of, toArray, lastValueFrom } from 'rxjs';
import { ErrorCode, RxloopError } from '../../src/index.js';
import { SingleReactor, serve, singleReactor, type Server } from '../../schedulers/index.js';
import { ReactorScheduler } from '../../schedulers/ReactorScheduler.js';
import { inlineTaskRunner } from '../../schedulers/singleReactor.js';
import { within } from '../support/spawned.js';

const echoModule = new URL('../../examples/echo/handler.js', import.meta.url);
const requestsModule = new URL('../fixtures/serveRequests.js', import.meta.url);
// doubleOrThrow, not double: the whole suite runs in one process, and loadTask.test needs double's first load.
const tasks = new URL('../fixtures/offloadTasks.js', import.meta.url).href;

function portOf(server: Server): number {
  assert.is(server.address.kind, 'inet');
  return (server.address as { port: number }).port;
}

/** Writes `bytes`, ends, and resolves with all that came back before the close. */
function exchange(port: number, bytes: Buffer | string): Promise<Buffer> {
  return within(5000, 'the exchange', new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk)).once('error', reject).once('close', () => resolve(Buffer.concat(chunks)));
  }));
}

test('singleReactor() is a new SingleReactor of kind single, and an RxJS scheduler for this loop', async () => {
  const reactor = singleReactor();
  assert.instance(reactor, SingleReactor);
  assert.instance(reactor, ReactorScheduler);
  assert.is(reactor.kind, 'single');
  assert.is.not(singleReactor(), reactor, 'a new one each call');
  assert.type(reactor.now(), 'number');
  const order: string[] = [];
  const done = lastValueFrom(of('a', 'b').pipe(observeOn(reactor), toArray()));
  order.push('after subscribe');
  assert.equal(await within(5000, 'the scheduled values', done), ['a', 'b']);
  assert.equal(order, ['after subscribe'], 'zero-delay work runs later, on a macrotask, not in the subscribe');
});

test('tasksPerTurn bounds the zero-delay work of one turn: the loop gets a turn in between', async () => {
  const reactor = singleReactor({ tasksPerTurn: 2 });
  const ran: string[] = [];
  for (let i = 0; i < 5; i++) reactor.schedule(() => void ran.push(`task ${i}`));
  setImmediate(() => ran.push('the loop'));
  await within(5000, 'five tasks', new Promise<void>((resolve) => reactor.schedule(() => resolve())));
  assert.ok(ran.indexOf('the loop') > 0 && ran.indexOf('the loop') < 5, `the loop ran between the tasks: ${ran.join(', ')}`);
});

test('the TSDoc examples: serve on a singleReactor() and on a new SingleReactor(), port 0; every connection on this thread', async () => {
  for (const scheduler of [singleReactor(), new SingleReactor()]) {
    const server = await serve(echoModule, { host: '127.0.0.1', port: 0, scheduler });
    try {
      assert.is((await exchange(portOf(server), 'one loop')).toString(), 'one loop');
      const stats = await within(5000, 'stats', firstValueFrom(server.stats$));
      assert.equal(stats.reactors.map((r) => r.reactor), ['main']);
    } finally {
      await server.stop({ deadline: 100 });
    }
  }
  // An offloading handler computes inline, on the main thread (its replies carry thread id 0).
  const server = await serve(requestsModule, { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
  try {
    const frame = Buffer.alloc(14);
    frame.writeUInt32BE(10, 0);
    frame.writeUInt32BE(7, 4);
    frame.write('ping', 10);
    const reply = await exchange(portOf(server), frame);
    assert.is(reply.length, 4 + 44);
    assert.is(reply.readUInt32BE(8), 7, 'the reply to request 7');
    assert.is(reply.readUInt32BE(12), 0, 'computed on the main thread');
  } finally {
    await server.stop({ deadline: 100 });
  }
});

test('inlineTaskRunner runs a task on the calling thread, and rejects a missing export with ERR_INVALID_ARGUMENT', async () => {
  assert.is(inlineTaskRunner.inline, true);
  const signal = new AbortController().signal;
  assert.is(await within(5000, 'the task', inlineTaskRunner.run({ module: tasks, name: 'doubleOrThrow' }, 21, { signal })), 42);
  const error = await inlineTaskRunner.run({ module: tasks, name: 'nope' }, 1, { signal }).then(() => undefined, (e: unknown) => e);
  assert.instance(error, RxloopError);
  assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
  assert.match((error as RxloopError).message, /export a function named 'nope', got undefined/);
  const thrown = await inlineTaskRunner.run({ module: tasks, name: 'doubleOrThrow' }, 'bad', { signal }).then(() => undefined, (e: unknown) => e);
  assert.match(String(thrown), /boom/, 'what the task throws comes back as it is (offload codes it)');
});

test.run();
