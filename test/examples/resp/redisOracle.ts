// The oracle the RESP tests compare with: a real redis-server (Debian's package), started on a free loopback port,
// and raw-socket conversations replayed against it and against the rxloop server byte for byte.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** A redis-server this test started. */
export interface RedisOracle {
  readonly port: number;
  readonly version: string;
  stop(): Promise<void>;
}

/** Fails (never skips) when redis-server is missing, saying how to install it. */
export function requireRedisServer(): void {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      "the RESP tests compare with a real 'redis-server', which is not installed: run 'apt-get install -y redis-server' " +
        '(.ci/run installs it when missing)',
    );
  }
}

/** A port nobody listens on right now (redis-server cannot take port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server without persistence on a free loopback port and waits until it answers. */
export async function startRedis(): Promise<RedisOracle> {
  requireRedisServer();
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (log += text));
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (log += text));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const ready = await Promise.race([
      waitForPong(port).then(() => true),
      exited.then(() => false),
    ]);
    if (ready) {
      const version = /v=(\d+\.\d+\.\d+)/.exec(log)?.[1] ?? (await ask(port, 'INFO server\r\n')).match(/redis_version:([\d.]+)/)?.[1] ?? '?';
      return {
        port,
        version,
        stop: async () => {
          child.kill('SIGKILL');
          await exited;
        },
      };
    }
    if (attempt >= 3) throw new Error(`redis-server did not start: ${log}`);
  }
}

async function waitForPong(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await ask(port, 'PING\r\n', 200)).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`redis-server on ${port} did not answer PING`);
}

/**
 * One conversation on a fresh connection: each step's bytes are written, then what comes back is collected until
 * the server has been quiet for `quietMs` (or has closed the connection, shown as `<closed>`). Returns the
 * replies of each step, latin1.
 *
 * With `awaiting` (another server's reply to each step, as it comes: see {@link Replies}), each step first waits,
 * bounded by wall time, for as many bytes as that reply has (or for the close it ends with), so a server slowed by
 * a loaded machine is not cut off by the quiet period; what it sends beyond that is still collected.
 */
export async function converse(port: number, steps: readonly string[], quietMs = 60, awaiting?: Replies, onReply?: (step: number, reply: string) => void): Promise<string[]> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('latin1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let closed = false;
  let wake: (() => void) | undefined;
  socket.on('data', (text: string) => {
    received += text;
    wake?.();
  });
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  socket.on('error', () => undefined);
  const replies: string[] = [];
  for (const step of steps) {
    received = '';
    if (!closed) socket.write(step, 'latin1');
    const want = await awaiting?.reply(replies.length);
    if (want !== undefined) {
      const bytes = want.replace(/<closed>$/, '').length;
      const deadline = Date.now() + 10_000;
      while (!closed && (received.length < bytes || (want.endsWith('<closed>') && received.length === bytes)) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 50);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    }
    for (;;) {
      const before = received.length;
      const woke = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), quietMs);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      wake = undefined;
      if (closed) break;
      if (!woke && received.length === before) break;
    }
    replies.push(received + (closed ? '<closed>' : ''));
    onReply?.(replies.length - 1, replies.at(-1)!);
  }
  socket.destroy();
  return replies;
}

/** Sends `text` on a fresh connection and resolves with the first reply bytes. */
function ask(port: number, text: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply'));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.setEncoding('latin1');
    socket.once('data', (reply: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    });
    socket.write(text, 'latin1');
  });
}

/** One server's replies to a conversation, each step's as soon as it is known (to pace another's, see {@link converse}). */
export class Replies {
  private readonly known = new Map<number, string>();
  private readonly waiting = new Map<number, (reply: string) => void>();

  /** Records step `step`'s reply. */
  readonly add = (step: number, reply: string): void => {
    this.known.set(step, reply);
    this.waiting.get(step)?.(reply);
    this.waiting.delete(step);
  };

  /** Step `step`'s reply, once it is known. */
  reply(step: number): Promise<string> {
    const known = this.known.get(step);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.set(step, resolve));
  }
}

/** The same steps against the oracle and a server under test, side by side; the second is paced by the first. */
export async function converseBeside(oracle: number, port: number, steps: readonly string[]): Promise<[string[], string[]]> {
  const replies = new Replies();
  return Promise.all([converse(oracle, steps, 60, undefined, replies.add), converse(port, steps, 60, replies)]);
}
