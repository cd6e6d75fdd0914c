import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Socket, connect as netConnect } from 'node:net';

const script = fileURLToPath(new URL('./fixtures/emfileServer.js', import.meta.url));

/** Starts the fixture under `ulimit -n 48` and returns its port and a way to ask for stats. */
async function start(): Promise<{ child: ChildProcess; port: number; ask: () => Promise<string> }> {
  const child = spawn('bash', ['-c', `ulimit -n 48 && exec "${process.execPath}" "${script}"`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve) => waiting.push(resolve));
  const first = await next();
  assert.match(first, /^port \d+$/);
  const ask = () => {
    const answer = next();
    child.stdin!.write('stats\n');
    return answer;
  };
  return { child, port: Number(first.split(' ')[1]), ask };
}

function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.on('error', () => resolve(undefined));
  });
}

function echo(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(got), 2000);
    socket.on('data', (d) => {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    socket.on('error', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(text);
  });
}

test('out of file descriptors (EMFILE): accepts fail, the server keeps listening and recovers', async () => {
  const { child, port, ask } = await start();
  try {
    const sockets = (await Promise.all(Array.from({ length: 80 }, () => open(port)))).filter((s): s is Socket => s !== undefined);
    // Every connection the server could accept echoes; the rest were accepted by the kernel and dropped.
    const answers = await Promise.all(sockets.map((s, i) => echo(s, `hello ${i}`)));
    const served = answers.filter((a, i) => a === `hello ${i}`).length;
    assert.ok(served > 0, 'some connections were served');
    assert.ok(served < 80, `the limit was hit (${served} served)`);
    // libuv answers EMFILE by accepting and closing the excess connections itself (its reserved-descriptor
    // trick), so the server sees no error at all: it is still listening and answering.
    const [word] = (await ask()).split(' ');
    assert.is(word, 'stats');
    for (const s of sockets) s.destroy();
    // Once descriptors are free again, a fresh client is served.
    let fresh = '';
    for (let attempt = 0; attempt < 50 && fresh !== 'again'; attempt++) {
      await new Promise((r) => setTimeout(r, 20));
      const s = await open(port);
      if (s === undefined) continue;
      fresh = await echo(s, 'again');
      s.destroy();
    }
    assert.is(fresh, 'again');
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
