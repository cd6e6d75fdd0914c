// Proof that the uring backend is io_uring underneath: `rxloop serve resp` under strace -yy, loaded by redis-benchmark.
// On the node backend every request costs read and write system calls on the client sockets (libuv reads when
// epoll says readable); on the uring backend the kernel does the receiving and sending for ring entries, so the
// read/write family disappears from the sockets and io_uring_enter takes its place. Both run in this test, the node one as
// the control that shows the counting works.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../../bin/rxloop.js', import.meta.url));
const IO_CALLS = ['read', 'write', 'readv', 'writev', 'recvfrom', 'sendto', 'recvmsg', 'sendmsg', 'recvmmsg', 'sendmmsg'];
const REQUESTS = 20_000;

function requireProgram(name: string, apt: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  assert.is(found.status, 0, `${name} is not installed (apt-get install ${apt}; .ci/run installs it)`);
}

interface Counts {
  /** Read/write-family calls on TCP sockets (strace -yy names each descriptor), by call. */
  readonly onSockets: Readonly<Record<string, number>>;
  /** Read/write-family calls on TCP sockets, all together. */
  readonly socketIo: number;
  /** Read/write-family calls on anything else (files, pipes, eventfds): Node's own. */
  readonly otherIo: number;
  readonly enter: number;
}

/**
 * Counts the calls of a `strace -f -yy` log: a line `[pid N] read(12<TCP:[127.0.0.1:6380->127.0.0.1:40112]>, ...`
 * is a read on a TCP socket. A call strace splits (`<unfinished ...>`, then `<... read resumed>`) counts once.
 */
function countTrace(text: string): Counts {
  const onSockets: Record<string, number> = {};
  let socketIo = 0;
  let otherIo = 0;
  let enter = 0;
  for (const line of text.split('\n')) {
    const call = /^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((\d+)(<[^>]*>)?/.exec(line);
    if (call === null) continue;
    const [, name, , target] = call;
    if (name === 'io_uring_enter') enter++;
    else if (!IO_CALLS.includes(name!)) continue;
    else if (target !== undefined && /^<TCP(v6)?:/.test(target)) {
      onSockets[name!] = (onSockets[name!] ?? 0) + 1;
      socketIo++;
    } else otherIo++;
  }
  return { onSockets, socketIo, otherIo, enter };
}

/** Runs the RESP example on `backend` under strace, loads it, and counts the server's system calls. */
async function countSyscalls(backend: 'node' | 'uring', requests: number): Promise<Counts> {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-strace-'));
  const log = join(dir, 'trace.txt');
  // -yy: every descriptor argument with what it is (a TCP socket with its addresses); -s 0: no buffer contents.
  const child = spawn('strace', ['-f', '-yy', '-s', '0', '-o', log, '-e', `trace=${[...IO_CALLS, 'io_uring_enter'].join(',')}`,
    process.execPath, cli, 'serve', 'resp', '--host', '127.0.0.1', '--port', '0', '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        out += text;
        const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (match !== null) resolve(Number(match[1]));
      });
      child.stderr!.setEncoding('utf8').on('data', (text: string) => (err += text));
      child.once('exit', (code) => reject(new Error(`rxloop serve resp under strace exited (${String(code)}) before listening: ${err}`)));
      setTimeout(() => reject(new Error(`rxloop serve resp under strace did not listen within 20 s: ${err}`)), 20_000).unref();
    });
    if (requests > 0) {
      const load = spawnSync('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-n', String(requests), '-c', '20', '-P', '16', '-t', 'set,get', '-q'],
        { encoding: 'utf8', timeout: 60_000 });
      assert.is(load.status, 0, `redis-benchmark failed: ${load.stderr}`);
      assert.match(load.stdout, /GET: [\d.]+ requests per second/);
    }
  } finally {
    // The server's own SIGTERM (strace would not pass its own on): it drains and exits, then strace writes the summary.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGTERM');
    await exited;
  }
  const counts = countTrace(readFileSync(log, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  return counts;
}

test('strace and redis-benchmark are installed (the proof below needs both)', () => {
  requireProgram('strace', 'strace');
  requireProgram('redis-benchmark', 'redis-tools');
});

test('under load the uring backend makes no read/write-family system calls on client sockets: ring entries instead (node as the control)', async () => {
  const node = await countSyscalls('node', REQUESTS);
  const uring = await countSyscalls('uring', REQUESTS);
  const commands = 2 * REQUESTS;
  const show = (counts: Counts) => JSON.stringify(counts);
  // The control: libuv reads and writes the client sockets itself, at least once per pipelined batch of 16.
  assert.ok(node.socketIo >= commands / 16, `node backend: expected a read/write call on the sockets per batch of commands, got ${show(node)}`);
  // The ring: not one read/write-family call on a TCP socket; the kernel does them for ring entries, which
  // io_uring_enter submits (libuv may enter a ring of its own for files on Node 24 and later: a few dozen).
  assert.is(uring.socketIo, 0, `uring backend: expected no read/write calls on the sockets, got ${show(uring)} for ${commands} commands`);
  assert.ok(uring.enter > node.enter, `uring backend: expected io_uring_enter calls while serving, got ${show(uring)} (node: ${show(node)})`);
  console.log(`  strace, ${commands} commands: node ${node.socketIo} read/write-family calls on sockets; uring ${uring.socketIo}, and ${uring.enter} io_uring_enter (node: ${node.enter})`);
});

test.run();
