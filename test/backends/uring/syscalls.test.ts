// Proof that the uring backend is io_uring underneath: `rxloop serve resp` under strace, loaded by redis-benchmark.
// On the node backend every request costs read and write system calls on the client sockets (libuv reads when
// epoll says readable); on the uring backend the kernel does the receiving and sending for ring entries, so the
// read/write family all but disappears and io_uring_enter takes its place. Both run in this test, the node one as
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
  readonly io: number;
  readonly enter: number;
  readonly byCall: Readonly<Record<string, number>>;
}

/** Parses `strace -c` output: the calls column per syscall name. */
function parseSummary(text: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // % time, seconds, usecs/call, calls, [errors], syscall
    if (fields.length < 5 || !/^\d+(\.\d+)?$/.test(fields[0]!)) continue;
    const name = fields[fields.length - 1]!;
    calls[name] = Number(fields[3]);
  }
  return calls;
}

/** Runs the RESP example on `backend` under strace, loads it, and counts the server's system calls. */
async function countSyscalls(backend: 'node' | 'uring', requests: number): Promise<Counts> {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-strace-'));
  const summary = join(dir, 'summary.txt');
  const child = spawn('strace', ['-f', '-c', '-o', summary, '-e', `trace=${[...IO_CALLS, 'io_uring_enter'].join(',')}`,
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
  const byCall = parseSummary(readFileSync(summary, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const io = IO_CALLS.reduce((sum, name) => sum + (byCall[name] ?? 0), 0);
  return { io, enter: byCall['io_uring_enter'] ?? 0, byCall };
}

test('strace and redis-benchmark are installed (the proof below needs both)', () => {
  requireProgram('strace', 'strace');
  requireProgram('redis-benchmark', 'redis-tools');
});

test('under load the uring backend makes no read/write-family system calls on client sockets: ring entries instead (node as the control)', async () => {
  // Each backend twice: started, loaded and stopped, and started and stopped with no load. The difference is what
  // serving cost; loading modules and files at start (hundreds of reads) cancels out.
  const node = await countSyscalls('node', REQUESTS);
  const nodeIdle = await countSyscalls('node', 0);
  const uring = await countSyscalls('uring', REQUESTS);
  const uringIdle = await countSyscalls('uring', 0);
  const commands = 2 * REQUESTS;
  const show = (counts: Counts) => JSON.stringify(counts.byCall);
  // The control: libuv reads and writes the sockets itself, at least once per pipelined batch of 16 commands.
  assert.ok(node.io - nodeIdle.io >= commands / 16, `node backend: expected a read/write call per batch of commands, got ${show(node)} (idle: ${show(nodeIdle)})`);
  // libuv may have a ring of its own for files (Node 26 enters one at start-up), never for sockets: serving adds
  // next to no io_uring_enter there.
  assert.ok(node.enter - nodeIdle.enter < 250, `node backend: expected no io_uring_enter for its sockets, got ${show(node)} (idle: ${show(nodeIdle)})`);
  // The ring: serving adds next to no read/write-family calls (Node's own wake-ups on eventfds and pipes: 7 to 70 here, against 5,000 on node), and
  // io_uring_enter calls instead.
  assert.ok(uring.io - uringIdle.io < 250, `uring backend: expected no read/write calls per command, got ${show(uring)} (idle: ${show(uringIdle)}) for ${commands} commands`);
  assert.ok(uring.enter - uringIdle.enter > 0, `uring backend: expected io_uring_enter calls while serving, got ${show(uring)} (idle: ${show(uringIdle)})`);
  console.log(`  strace, ${commands} commands: node +${node.io - nodeIdle.io} read/write-family calls; uring +${uring.io - uringIdle.io}, and +${uring.enter - uringIdle.enter} io_uring_enter`);
});

test.run();
