import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFeatures } from '../../src/backends/node/nodeFeatures.js';
import { uringSupport } from '../../src/backends/uring/uringSupport.js';

// dist/test/bin/rxloop.test.js -> dist/bin/rxloop.js
const dist = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const cli = join(dist, 'bin', 'rxloop.js');

const children: ChildProcess[] = [];
const sockets: Socket[] = [];
const cleanups: (() => unknown)[] = [];

test.after.each(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Running {
  readonly child: ChildProcess;
  readonly port: number;
  /** The line that says where it listens. */
  readonly banner: string;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
}

function launch(args: readonly string[], env: NodeJS.ProcessEnv = {}, script = cli): { child: ChildProcess; exited: Promise<Exit>; out: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, RXLOOP_PROXY_TARGET: '', RXLOOP_PROXY_SEND_PROXY_V2: '', RXLOOP_WIRETAP: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (out.stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (out.stderr += text));
  const exited = new Promise<Exit>((done) => {
    child.on('close', (code) => done({ code, stdout: out.stdout, stderr: out.stderr }));
  });
  return { child, exited, out };
}

/** Runs the CLI to its end. */
function run(args: readonly string[], env: NodeJS.ProcessEnv = {}, script = cli): Promise<Exit> {
  return launch(args, env, script).exited;
}

/** Starts `rxloop serve ...` and resolves once it says where it listens. */
async function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const { child, exited, out } = launch(['serve', ...args], env);
  const banner = await new Promise<string>((resolve, reject) => {
    const look = (): void => {
      const line = /^rxloop \S+ listening on .*$/m.exec(out.stdout);
      if (line !== null) {
        child.stdout!.off('data', look);
        resolve(line[0]);
      }
    };
    child.stdout!.on('data', look);
    void exited.then((exit) => reject(new Error(`the CLI exited (${exit.code}) before listening: ${exit.stderr}`)));
  });
  const port = Number(/:(\d+)/.exec(banner)![1]);
  return { child, port, banner, exited, stdout: () => out.stdout, stderr: () => out.stderr };
}

/** Sends `text` on a new connection and resolves with what comes back before the server closes it. */
async function roundTrip(port: number, text: string): Promise<string> {
  const socket = netConnect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  await once(socket, 'connect');
  socket.end(text);
  await once(socket, 'close');
  return received;
}

async function stopWith(server: Running, signal: NodeJS.Signals): Promise<Exit> {
  server.child.kill(signal);
  return server.exited;
}

test('--help describes the commands; serve --help every flag; no command is a usage error', async () => {
  const [help, serveHelp, none] = await Promise.all([run(['--help']), run(['serve', '--help']), run([])]);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: rxloop <command>/);
  assert.match(help.stdout, /serve <example>/);
  assert.match(help.stdout, /bench/);
  assert.is(serveHelp.code, 0);
  for (const flag of ['--host', '--port', '--scheduler', '--workers', '--reactors', '--accept', '--threads', '--target', '--wiretap', '--deadline']) {
    assert.ok(serveHelp.stdout.includes(flag), `serve --help mentions ${flag}`);
  }
  for (const example of ['resp', 'http', 'echo', 'proxy']) assert.ok(serveHelp.stdout.includes(example), example);
  assert.is(none.code, 2);
  assert.match(none.stderr, /Usage: rxloop/);
});

test('bad arguments exit with status 2 and a message naming the bad flag or word', async () => {
  // The full table of argument mistakes is in parseServeArgs.test.ts; here, that the process reports them.
  const cases: [string[], RegExp][] = [
    [['serve', 'echo', '--bogus'], /^rxloop serve: unknown flag --bogus\nRun 'rxloop serve --help'/],
    [['serve', 'echo', '--scheduler', 'fast'], /--scheduler expected single, pooled, multi, got "fast"/],
    [['frob'], /unknown command frob/],
  ];
  const exits = await Promise.all(cases.map(([args]) => run(args)));
  cases.forEach(([args, message], i) => {
    const exit = exits[i]!;
    assert.is(exit.code, 2, `${args.join(' ')} exits with 2`);
    assert.match(exit.stderr, message, `${args.join(' ')}: ${exit.stderr}`);
    assert.is(exit.stdout, '', `${args.join(' ')} prints nothing on stdout`);
  });
});

test('serve echo --port 0 prints the real port, echoes, prints stats on SIGUSR2, and exits 0 on SIGTERM', async () => {
  const server = await start(['echo', '--port', '0']);
  assert.match(server.banner, /^rxloop echo listening on 127\.0\.0\.1:\d+ \(single reactor\)$/);
  assert.ok(server.port > 0, 'a real port, not 0');
  assert.is(await roundTrip(server.port, 'hello, rxloop'), 'hello, rxloop');
  // The client saw the server's FIN; the server counts the connection closed a moment later (on uring, when its
  // close request completes): ask again until the stats say so, bounded.
  const statsLines = (): string[] => server.stdout().split('\n').filter((line) => line.startsWith('rxloop stats main'));
  for (let i = 0; i < 20 && !/ 0 open,/.test(statsLines().at(-1) ?? ''); i++) {
    const asked = statsLines().length;
    server.child.kill('SIGUSR2');
    for (let j = 0; j < 200 && statsLines().length === asked; j++) await new Promise((r) => setTimeout(r, 10));
  }
  assert.match(statsLines().at(-1) ?? '', /rxloop stats main: 0 open, 1 accepted, 13 B in, 13 B out/, server.stdout());
  const exit = await stopWith(server, 'SIGTERM');
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGTERM, stopping/);
  assert.match(exit.stdout, /rxloop: stopped/);
});

test('serve ./path/to/handler.js runs the user\'s own handler module', async () => {
  const module = fileURLToPath(new URL('../fixtures/serveEcho.js', import.meta.url));
  const server = await start([relative(process.cwd(), module), '--port', '0']);
  assert.match(server.banner, /serveEcho\.js listening on 127\.0\.0\.1:\d+ \(single reactor\)$/);
  assert.is(await roundTrip(server.port, 'my own handler'), 'my own handler');
  const exit = await stopWith(server, 'SIGTERM');
  assert.is(exit.code, 0, exit.stderr);
});

test('SIGINT stops gracefully: an idle connection is closed at once (it has nothing in flight), and the exit status is 0', async () => {
  const server = await start(['echo', '--port', '0', '--deadline', '200']);
  const socket = netConnect({ host: '127.0.0.1', port: server.port });
  sockets.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write('ping');
  await once(socket, 'data');
  const closed = once(socket, 'close');
  const exit = await stopWith(server, 'SIGINT');
  assert.is(exit.code, 0, exit.stderr);
  assert.match(exit.stdout, /SIGINT, stopping \(waiting up to 200 ms/);
  await closed;
});

test('each scheduler starts and serves: pooled --workers 1, multi --reactors 2 (single: the test above)', async () => {
  const cases: [string[], RegExp][] = [
    [['--scheduler', 'pooled', '--workers', '1'], /\(pooled reactor, 1 worker thread\)$/],
    [['--scheduler', 'multi', '--reactors', '2'], /\(multi-reactor, 2 sub-reactors, acceptor accept\)$/],
  ];
  await Promise.all(cases.map(async ([flags, description]) => {
    const server = await start(['echo', '--port', '0', ...flags]);
    assert.match(server.banner, description);
    assert.is(await roundTrip(server.port, `via ${flags.join(' ')}`), `via ${flags.join(' ')}`);
    const exit = await stopWith(server, 'SIGTERM');
    assert.is(exit.code, 0, `${flags.join(' ')}: ${exit.stderr}`);
  }));
});

test('--threads: sub-reactor threads where this Node.js runs them (shared accept: reusePort), else the coded reason', async () => {
  const flags = ['--scheduler', 'multi', '--reactors', '2', '--accept', 'shared', '--threads'];
  // --backend auto (the default) serves on uring where io_uring runs: its threads listen with SO_REUSEPORT on
  // sockets of their own, on any Node.js line. The node backend needs reusePort (Node.js 22.12+).
  if (!(await nodeFeatures()).reusePort && !uringSupport().available) {
    const exit = await run(['serve', 'echo', '--port', '0', ...flags]);
    assert.is(exit.code, 1);
    assert.match(exit.stderr, /could not start the echo server: multiReactor\(\{ threads: true, accept: 'shared' \}\) expected .* reusePort/);
    return;
  }
  const server = await start(['echo', '--port', '0', ...flags]);
  assert.match(server.banner, /\(multi-reactor, 2 sub-reactor threads, shared accept\)$/);
  assert.is(await roundTrip(server.port, 'via threads'), 'via threads');
  const exit = await stopWith(server, 'SIGTERM');
  assert.is(exit.code, 0, exit.stderr);
});

test('serve proxy --target reaches shared-accept sub-reactors (through the environment); --wiretap dumps', async () => {
  const target = await start(['echo', '--port', '0', '--wiretap']);
  const proxy = await start([
    'proxy', '--port', '0', '--target', `127.0.0.1:${target.port}`, '--scheduler', 'multi', '--reactors', '2', '--accept', 'shared',
  ]);
  assert.match(proxy.banner, new RegExp(
    `^rxloop proxy listening on 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:${target.port} \\(multi-reactor, 2 sub-reactors, shared accept\\)$`));
  for (const word of ['first', 'second']) assert.is(await roundTrip(proxy.port, word), word);
  assert.match(target.stderr(), /^echo 5 bytes$/m);
  assert.match(target.stderr(), /\|first\|/);
  const [a, b] = await Promise.all([stopWith(proxy, 'SIGTERM'), stopWith(target, 'SIGTERM')]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
});

test('a port in use: status 1 and a message that says so', async () => {
  const taken: NetServer = createServer();
  taken.listen(0, '127.0.0.1');
  await once(taken, 'listening');
  cleanups.push(() => new Promise((done) => taken.close(done)));
  const exit = await run(['serve', 'echo', '--port', String((taken.address() as { port: number }).port)]);
  assert.is(exit.code, 1);
  assert.match(exit.stderr, /could not start the echo server: .*(in use|EADDRINUSE)/i);
});

test('bench delegates to dist/bench/run.js when present and explains when not; a missing example is status 1', async () => {
  // A copy of the CLI in a layout of our own, so both cases are exercised whatever this build holds.
  const root = mkdtempSync(join(tmpdir(), 'rxloop-cli-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', version: '1.2.3-test' }));
  symlinkSync(resolve(dist, '..', 'node_modules'), join(root, 'node_modules'), 'dir');
  const copy = join(root, 'dist');
  mkdirSync(join(copy, 'bin'), { recursive: true });
  for (const file of readdirSync(join(dist, 'bin')).filter((f) => f.endsWith('.js'))) {
    cpSync(join(dist, 'bin', file), join(copy, 'bin', file));
  }
  for (const dir of ['src', 'operators', 'schedulers']) symlinkSync(join(dist, dir), join(copy, dir), 'dir');
  mkdirSync(join(copy, 'examples'));
  for (const example of ['echo', 'proxy']) symlinkSync(join(dist, 'examples', example), join(copy, 'examples', example), 'dir');
  const copiedCli = join(copy, 'bin', 'rxloop.js');

  const [version, missingBench, missingExample] = await Promise.all([
    run(['--version'], {}, copiedCli),
    run(['bench'], {}, copiedCli),
    run(['serve', 'resp', '--port', '0'], {}, copiedCli),
  ]);
  assert.is(version.code, 0);
  assert.is(version.stdout.trim(), '1.2.3-test');
  assert.is(missingBench.code, 1);
  assert.match(missingBench.stderr, /benchmark runner is not available \(expected .*bench[/\\]run\.js\)/);
  assert.is(missingExample.code, 1);
  assert.match(missingExample.stderr, /the resp example is not built: .*resp[/\\]handler\.js is missing/);

  mkdirSync(join(copy, 'bench'));
  writeFileSync(join(copy, 'bench', 'run.js'), 'console.log(JSON.stringify(process.argv.slice(2))); process.exit(3);\n');
  const delegated = await run(['bench', '--quick', 'resp'], {}, copiedCli);
  assert.is(delegated.code, 3);
  assert.is(delegated.stdout.trim(), '["--quick","resp"]');
});

test.run();
