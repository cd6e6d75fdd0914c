// Issue 17's hostile rows against the server `npm start` runs (a child process, so that a crash is an exit) and
// against a real redis-server side by side: what Redis survives, the example survives, and answers alike.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { nodeFeatures } from '../../../src/backends/node/nodeFeatures.js';
import { startRedis, type RedisOracle } from './redisOracle.js';

const cli = fileURLToPath(new URL('../../../bin/rxloop.js', import.meta.url));

function startCli(args: readonly string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', 'resp', '--host', '127.0.0.1', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RXLOOP_RESP_IDLE_TIMEOUT: '0' },
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match !== null) resolve({ child, port: Number(match[1]) });
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (err += text));
    child.once('exit', (code) => reject(new Error(`rxloop serve resp exited (${code}): ${err}`)));
  });
}

/** A raw connection that collects what it receives. */
async function open(port: number): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, text: () => text, closed };
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`expected ${what} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends one command on a fresh connection and resolves with its complete reply (a simple line). */
async function ask(port: number, command: string): Promise<string> {
  const client = await open(port);
  client.socket.write(command);
  await until(() => client.text().endsWith('\r\n'), `a reply to ${command.trim()}`, 5000);
  client.socket.destroy();
  return client.text();
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const it = suite('hostile input: rxloop serve resp beside redis-server');
let redis: RedisOracle | undefined;
let child: ChildProcess | undefined;
let port = 0;
const sockets: Socket[] = [];

it.before(async () => {
  redis = await startRedis();
  ({ child, port } = await startCli(['--scheduler', 'single']));
});

it.after.each(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

it.after(async () => {
  await redis?.stop();
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});

it('32 connections each holding an unfinished *1048576 of one-byte arguments: both keep serving, then answer alike', async () => {
  const args = 1_048_576;
  const body = Buffer.from('$1\r\nx\r\n'.repeat(args - 2));
  const head = Buffer.from(`*${args}\r\n$6\r\nEXISTS\r\n`);
  for (const target of [redis!.port, port]) {
    const clients = await Promise.all(Array.from({ length: 32 }, () => open(target)));
    for (const client of clients) sockets.push(client.socket);
    await Promise.all(clients.map((client) => new Promise<void>((resolve) => {
      client.socket.write(head);
      client.socket.write(body, () => resolve());
    })));
    assert.is(await ask(target, 'PING\r\n'), '+PONG\r\n', 'still serving while 32 commands of 1M arguments are pending');
    for (const client of clients) client.socket.write('$1\r\nx\r\n');
    await until(() => clients.every((client) => client.text().length > 0), 'every EXISTS answered', 30_000);
    assert.equal(clients.map((client) => client.text()), clients.map(() => ':0\r\n'));
    for (const client of clients) client.socket.destroy();
  }
  assert.is(child!.exitCode, null, 'the rxloop server is alive');
});

it('300,000 keys SET with PX 100 and never read are all reclaimed by active expiry, as by redis-server', async () => {
  const keys = 300_000;
  let script = '';
  for (let i = 0; i < keys; i++) script += `*5\r\n$3\r\nSET\r\n$${`volatile:${i}`.length}\r\nvolatile:${i}\r\n$1\r\nx\r\n$2\r\nPX\r\n$3\r\n100\r\n`;
  for (const target of [redis!.port, port]) {
    const client = await open(target);
    sockets.push(client.socket);
    client.socket.write(script);
    await until(() => client.text().length >= keys * 5, `${keys} +OK`, 30_000);
    const dbsize = async (): Promise<number> => Number(/:(\d+)/.exec(await ask(target, 'DBSIZE\r\n'))![1]);
    // Redis reclaims them within about 10 s; so must we (polled, not timed: the limit is generous).
    await until(async () => (await dbsize()) === 0, `DBSIZE 0 on ${target === port ? 'rxloop' : 'redis-server'}`, 20_000);
  }
});

it('a subscriber that stops reading is disconnected past the pubsub output limit; the publisher goes on', async () => {
  const message = 'm'.repeat(1024 * 1024);
  const publish = `*3\r\n$7\r\nPUBLISH\r\n$5\r\nflood\r\n$${message.length}\r\n${message}\r\n`;
  const sentBefore: number[] = [];
  for (const target of [redis!.port, port]) {
    const subscriber = await open(target);
    sockets.push(subscriber.socket);
    subscriber.socket.write('SUBSCRIBE flood\r\n');
    await until(() => subscriber.text().includes('subscribe'), 'the subscription');
    // It reads no more: what is published to it piles up in the kernel's buffers, then in the server.
    subscriber.socket.pause();
    const publisher = await open(target);
    sockets.push(publisher.socket);
    let sent = 0;
    // PUBLISH answers how many received it: 0 once the server has disconnected the subscriber.
    while (sent < 200 && !publisher.text().endsWith(':0\r\n')) {
      publisher.socket.write(publish);
      sent++;
      await until(() => publisher.text().split('\r\n').length > sent, 'the PUBLISH reply', 5000);
    }
    assert.ok(publisher.text().endsWith(':0\r\n'), `the subscriber was disconnected (after ${sent} MiB)`);
    sentBefore.push(sent);
  }
  // Both let at least the 32 MiB hard limit pile up (plus what the kernel buffers), and not much more.
  for (const sent of sentBefore) assert.ok(sent > 32 && sent < 120, `disconnected after ${sentBefore.join(' and ')} MiB`);
});

it('a long DIGEST does not stall other clients, and stops when its client goes', async () => {
  const slow = await open(port);
  sockets.push(slow.socket);
  slow.socket.write('SET d v\r\nDIGEST d 1000000\r\n');
  await until(() => slow.text().startsWith('+OK\r\n'), 'the SET');
  // Answered while the DIGEST hashes (it takes about a second of CPU).
  assert.is(await ask(port, 'PING\r\n'), '+PONG\r\n');
  assert.is(slow.text(), '+OK\r\n', 'the DIGEST is still hashing');
  await until(() => slow.text().length > 5, 'the DIGEST reply', 20_000);
  assert.match(slow.text(), /^\+OK\r\n\$64\r\n[0-9a-f]{64}\r\n$/);
  await digestStopsWhenItsClientGoes(port, child!.pid!);
});

it('2,000 pipelined GETs of a 1 MB value from a client that does not read: replies are built as it reads', async () => {
  await pacedGets(port, child!.pid!);
});

it.run();

/** The pids of a process and of all its descendants (the sub-reactor processes of a multi-reactor). */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue; // gone meanwhile
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').split(' ')) {
          if (child.trim() !== '') pids.push(Number(child));
        }
      } catch {
        // the task ended meanwhile
      }
    }
  }
  return pids;
}

/** CPU seconds of a process and its descendants (threads included: /proc/<pid>/stat counts all of them). */
function treeCpuSeconds(pid: number): number {
  let total = 0;
  for (const each of processTree(pid)) {
    try {
      total += cpuSeconds(each);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Resident memory of a process and its descendants, in bytes. */
function treeRss(pid: number): number {
  let total = 0;
  for (const each of processTree(pid)) {
    try {
      total += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${each}/status`, 'utf8'))![1]) * 1024;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** Three million DIGEST rounds queued, then the client leaves: the server (all its processes) stops hashing them. */
async function digestStopsWhenItsClientGoes(target: number, pid: number): Promise<void> {
  const setter = await open(target);
  sockets.push(setter.socket);
  setter.socket.write('SET d v\r\n');
  await until(() => setter.text() === '+OK\r\n', 'the SET');
  const leaving = await open(target);
  leaving.socket.write('DIGEST d 1000000\r\n'.repeat(3));
  // It is hashing: the server's processes spend CPU on it.
  const start = treeCpuSeconds(pid);
  await until(() => treeCpuSeconds(pid) - start > 0.1, 'the DIGEST hashing');
  leaving.socket.destroy();
  // Another client is answered at once (DIGEST hashes in slices), and its own DIGEST completes.
  assert.is(await ask(target, 'PING\r\n'), '+PONG\r\n');
  const other = await open(target);
  sockets.push(other.socket);
  other.socket.write('DIGEST d 3\r\n');
  await until(() => other.text().length >= 71, 'a short DIGEST on another connection', 10_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = treeCpuSeconds(pid);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const spent = treeCpuSeconds(pid) - before;
  assert.ok(spent < 0.5, `the server spent ${spent.toFixed(2)} s of CPU in the second after the client left`);
}

/**
 * One read of 2,000 `GET`s of a 1 MB value, and the client reads nothing: the server must not build the 2 GB of
 * replies (issue 13's red-team row; Redis 7 builds them all, 1.9 GB). Memory stays near one write buffer, other
 * clients are answered, and once the client reads, the replies arrive in order.
 */
async function pacedGets(target: number, pid: number): Promise<void> {
  const value = 'v'.repeat(1_000_000);
  const greedy = await open(target);
  sockets.push(greedy.socket);
  greedy.socket.write(`*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$${value.length}\r\n${value}\r\n`);
  await until(() => greedy.text() === '+OK\r\n', 'the SET');
  const before = treeRss(pid);
  greedy.socket.pause();
  greedy.socket.write('GET big\r\n'.repeat(2000));
  // Whatever the server would build, it builds in the turns right after the read.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  assert.is(await ask(target, 'PING\r\n'), '+PONG\r\n');
  const grown = treeRss(pid) - before;
  assert.ok(grown < 256 * 1024 * 1024, `the server grew by ${(grown / 1048576).toFixed(0)} MB for 2 GB of unread replies`);
  // It reads now: the first replies arrive whole, in order.
  let seen = 0;
  let head = '';
  greedy.socket.removeAllListeners('data');
  greedy.socket.on('data', (chunk: string) => {
    if (head.length < 20) head += chunk.slice(0, 20);
    seen += chunk.length;
  });
  greedy.socket.resume();
  await until(() => seen > 20 * (value.length + 13), 'twenty replies', 20_000);
  assert.ok(head.startsWith(`$${value.length}\r\nvvvv`), JSON.stringify(head.slice(0, 20)));
  greedy.socket.destroy();
}

const features = await nodeFeatures();
const multiCases: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['multi-reactor (processes)', ['--scheduler', 'multi', '--reactors', '2']],
  // Sub-reactor threads, where this Node.js runs them (see multiReactorThreads.test.ts).
  ...(features.reusePort ? [['multi-reactor (threads)', ['--scheduler', 'multi', '--reactors', '2', '--accept', 'shared', '--threads']] as const] : []),
];

for (const [name, args] of multiCases) {
  const multi = suite(`hostile input: rxloop serve resp, ${name}`);
  let server: { child: ChildProcess; port: number } | undefined;
  multi.before(async () => {
    server = await startCli(args);
  });
  multi.after.each(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });
  multi.after(async () => {
    const running = server?.child;
    if (running !== undefined && running.exitCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    }
  });
  multi('a long DIGEST stops when its client goes, in whichever sub-reactor hashes it', async () => {
    await digestStopsWhenItsClientGoes(server!.port, server!.child.pid!);
  });
  multi('2,000 pipelined GETs of a 1 MB value from a client that does not read: replies are built as it reads', async () => {
    await pacedGets(server!.port, server!.child.pid!);
  });
  multi.run();
}
