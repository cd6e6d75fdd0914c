import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { once } from 'node:events';
import { connect as netConnect, createServer, type Server as NetServer, type Socket } from 'node:net';
import {
  asapScheduler,
  config,
  delay,
  firstValueFrom,
  of,
  observeOn,
  take,
  timer,
  toArray,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { ReactorScheduler } from '../../schedulers/ReactorScheduler.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Resolves once `scheduler` has run a task scheduled now, behind everything queued before it. */
function settled(scheduler: SchedulerLike): Promise<void> {
  return new Promise((resolve) => scheduler.schedule(() => resolve()));
}

const cleanups: (() => void)[] = [];
test.after.each(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

test('is an RxJS scheduler: observeOn delivers later, in order, on the reactor', async () => {
  const reactor = new ReactorScheduler();
  const seen: number[] = [];
  const done = firstValueFrom(of(1, 2, 3).pipe(observeOn(reactor), toArray()));
  of(1, 2, 3).pipe(observeOn(reactor)).subscribe((n) => seen.push(n));
  assert.equal(seen, [], 'nothing is delivered synchronously');
  await Promise.resolve();
  assert.equal(seen, [], 'nor on a microtask');
  assert.equal(await done, [1, 2, 3]);
  assert.equal(seen, [1, 2, 3]);
  assert.ok(reactor.tasksRun >= 6, 'every delivery counted as a task');
  assert.ok(Math.abs(reactor.now() - Date.now()) < 1000);
});

test('delay and timer run on its timers, after zero-delay work scheduled later', async () => {
  const reactor = new ReactorScheduler();
  const order: string[] = [];
  const delayed = firstValueFrom(of('delayed').pipe(delay(60, reactor)));
  const timed = firstValueFrom(timer(30, reactor));
  reactor.schedule(() => order.push('zero'));
  void delayed.then((v) => order.push(v));
  void timed.then(() => order.push('timer'));
  await Promise.all([delayed, timed]);
  await nextTurn();
  assert.equal(order, ['zero', 'timer', 'delayed']);
  // A periodic timer reschedules its action with a delay: it keeps going until taken.
  assert.equal(await firstValueFrom(timer(0, 5, reactor).pipe(take(4), toArray())), [0, 1, 2, 3]);
});

test('zero-delay tasks run first in, first out, and tasks they schedule go behind the queue', async () => {
  const reactor = new ReactorScheduler();
  const order: string[] = [];
  for (let i = 0; i < 5; i++) {
    reactor.schedule(() => {
      order.push(`t${i}`);
      if (i === 0) reactor.schedule(() => order.push('child of t0'));
    });
  }
  assert.equal(order, []);
  await settled(reactor);
  assert.equal(order, ['t0', 't1', 't2', 't3', 't4', 'child of t0']);
});

test('cancellation: an unsubscribed task never runs, queued or delayed, even when cancelled by an earlier task', async () => {
  const reactor = new ReactorScheduler();
  const ran: string[] = [];
  reactor.schedule(() => ran.push('a'));
  const b = reactor.schedule(() => ran.push('b'));
  let d: { unsubscribe(): void } | undefined;
  reactor.schedule(() => {
    ran.push('c');
    d!.unsubscribe();
  });
  d = reactor.schedule(() => ran.push('d'));
  const delayed = reactor.schedule(() => ran.push('delayed'), 10);
  b.unsubscribe();
  delayed.unsubscribe();
  assert.ok(b.closed && delayed.closed);
  await settled(reactor);
  await sleep(30);
  assert.equal(ran, ['a', 'c']);
});

test('rescheduling with this.schedule: recursion with state, with a delay, and until unsubscribed', async () => {
  const reactor = new ReactorScheduler();
  const countdown: number[] = [];
  await new Promise<void>((resolve) => {
    reactor.schedule(function (this: SchedulerAction<number>, n = 0) {
      countdown.push(n);
      if (n > 0) this.schedule(n - 1);
      else resolve();
    }, 0, 3);
  });
  assert.equal(countdown, [3, 2, 1, 0]);

  const delayedSteps: number[] = [];
  await new Promise<void>((resolve) => {
    reactor.schedule(function (this: SchedulerAction<number>, n = 0) {
      delayedSteps.push(n);
      if (n < 2) this.schedule(n + 1, 5);
      else resolve();
    }, 5, 0);
  });
  assert.equal(delayedSteps, [0, 1, 2]);

  // An action that keeps rescheduling itself stops when its subscription is unsubscribed.
  let runs = 0;
  const endless = reactor.schedule(function (this: SchedulerAction<undefined>) {
    runs++;
    this.schedule();
  });
  for (let i = 0; i < 5; i++) await nextTurn();
  endless.unsubscribe();
  const after = runs;
  assert.ok(after >= 3, `it kept running (${after} runs)`);
  for (let i = 0; i < 5; i++) await nextTurn();
  assert.is(runs, after);
});

test('the last this.schedule call wins: moving a task from now to later runs it once, later', async () => {
  const reactor = new ReactorScheduler();
  const ran: string[] = [];
  let laterRan: () => void = () => undefined;
  const later = new Promise<void>((resolve) => {
    laterRan = resolve;
  });
  reactor.schedule(function (this: SchedulerAction<string>, state) {
    ran.push(state ?? '?');
    if (state === 'first') {
      this.schedule('now');
      this.schedule('later', 30);
    } else {
      laterRan();
    }
  }, 0, 'first');
  await settled(reactor);
  reactor.schedule(() => ran.push('zero-delay behind it'));
  await later;
  await settled(reactor);
  assert.equal(ran, ['first', 'zero-delay behind it', 'later']);

  // And from later to now: the delayed run is cancelled.
  const moved: string[] = [];
  reactor.schedule(function (this: SchedulerAction<string>, state) {
    moved.push(state ?? '?');
    if (state === 'first') {
      this.schedule('later', 20);
      this.schedule('now');
    }
  }, 0, 'first');
  await settled(reactor);
  await sleep(50);
  assert.equal(moved, ['first', 'now']);
});

/** Runs a burst of zero-delay tasks and reports at which task a setImmediate and a socket read got in. */
async function burst(scheduler: SchedulerLike, tasks: number, socket: { client: Socket; server: Socket }) {
  let done = 0;
  let immediateAt = -1;
  let readAt = -1;
  socket.server.once('data', () => {
    readAt = done;
  });
  const finished = new Promise<void>((resolve) => {
    for (let i = 0; i < tasks; i++) {
      scheduler.schedule(() => {
        if (i === 0) {
          setImmediate(() => {
            immediateAt = done;
          });
          socket.client.write('x');
        }
        done++;
        if (done === tasks) resolve();
      });
    }
  });
  await finished;
  await sleep(20);
  return { immediateAt, readAt };
}

async function socketPair(): Promise<{ client: Socket; server: Socket }> {
  const listener: NetServer = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const accepted = once(listener, 'connection') as Promise<[Socket]>;
  const client = netConnect({ host: '127.0.0.1', port: (listener.address() as { port: number }).port });
  client.setNoDelay(true);
  await once(client, 'connect');
  const [server] = await accepted;
  cleanups.push(() => {
    client.destroy();
    server.destroy();
    listener.close();
  });
  return { client, server };
}

test('yields to I/O between budgets: a setImmediate and a socket read get in during a burst of 10,000 tasks', async () => {
  const pair = await socketPair();
  const reactor = new ReactorScheduler();
  const { immediateAt, readAt } = await burst(reactor, 10_000, pair);
  assert.ok(immediateAt > 0 && immediateAt < 10_000, `the setImmediate ran after task ${immediateAt}`);
  assert.ok(readAt > 0 && readAt < 10_000, `the socket read ran after task ${readAt}`);
  assert.ok(immediateAt <= 1024, 'the first budget (1024 tasks) ended before it');

  // A smaller budget yields sooner.
  const small = await burst(new ReactorScheduler({ tasksPerTurn: 100 }), 10_000, await socketPair());
  assert.ok(small.immediateAt <= 100, `after task ${small.immediateAt}`);

  // For contrast, RxJS's asapScheduler runs the whole burst on microtasks: nothing gets in.
  const asap = await burst(asapScheduler, 10_000, await socketPair());
  assert.equal(asap, { immediateAt: 10_000, readAt: 10_000 });
});

test('an error in scheduled work is reported, and the queue goes on', async () => {
  const reported: unknown[] = [];
  let onReport: () => void = () => undefined;
  const previous = config.onUnhandledError;
  config.onUnhandledError = (error) => {
    reported.push(error);
    onReport();
  };
  cleanups.push(() => {
    config.onUnhandledError = previous;
  });
  const nextReport = (): Promise<void> => new Promise((resolve) => {
    onReport = resolve;
  });
  const reactor = new ReactorScheduler();
  const ran: string[] = [];

  // Zero-delay work: the task after the failing one still runs.
  const boom = new Error('boom');
  let report = nextReport();
  reactor.schedule(() => ran.push('before'));
  const failing = reactor.schedule(() => {
    throw boom;
  });
  reactor.schedule(() => ran.push('after'));
  await settled(reactor);
  assert.equal(ran, ['before', 'after']);
  assert.ok(failing.closed, 'the failed task is closed');
  await report;
  assert.equal(reported, [boom]);

  // Delayed work: the same.
  const lateBoom = new Error('late boom');
  report = nextReport();
  reactor.schedule(() => {
    throw lateBoom;
  }, 5);
  const delayedAfter = new Promise<void>((resolve) => reactor.schedule(() => {
    ran.push('delayed after');
    resolve();
  }, 10));
  await Promise.all([report, delayedAfter]);
  assert.equal(ran, ['before', 'after', 'delayed after']);
  assert.equal(reported, [boom, lateBoom]);
});

test.run();
