// Real clients for the RESP server tests: ioredis, the redis-cli and redis-benchmark programs, and raw sockets.
import { spawn, spawnSync } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { Redis } from 'ioredis';

/** Clients and sockets opened by these helpers; tests close them in `after.each`. */
const opened = new Set<Redis | Socket>();

/** Closes every client and socket these helpers opened. */
export function closeClients(): void {
  for (const client of opened) {
    if (client instanceof Redis) client.disconnect();
    else client.destroy();
  }
  opened.clear();
}

function installHint(program: string): Error {
  return new Error(
    `the RESP server tests drive '${program}', which is not installed: run 'apt-get install -y redis-tools' ` +
      '(.ci/run installs it when missing)',
  );
}

/**
 * Fails (never skips) when a client program the tests drive is missing, saying how to install it.
 *
 * @param program `redis-cli` or `redis-benchmark`
 */
export function requireProgram(program: string): void {
  const probe = spawnSync(program, ['--version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') throw installHint(program);
}

/** What a program printed and how it ended. */
export interface ProgramRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** Runs a program to its end, feeding it `input` on stdin; a missing program rejects with the install hint. */
export function runProgram(program: string, args: readonly string[], input = '', timeout = 20_000): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('latin1').on('data', (text: string) => (stderr += text));
    child.on('error', (error: NodeJS.ErrnoException) => reject(error.code === 'ENOENT' ? installHint(program) : error));
    child.on('close', (code) => resolve({ stdout, stderr, code }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input, 'latin1');
  });
}

/** An ioredis client of 127.0.0.1:`port` that never reconnects (a test sees a failure as it is). */
export async function redisClient(port: number): Promise<Redis> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  opened.add(client);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A raw TCP client: what it received, and the end of the connection. */
export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far, latin1. */
  received(): string;
  /** Resolves once the received bytes pass `check` (rejects after 5 s, or when the server closes first). */
  waitFor(check: (received: string) => boolean, what: string): Promise<string>;
  /** Resolves with everything received once the server has closed the connection (rejects after 5 s). */
  readonly closed: Promise<string>;
}

/** Opens a raw TCP connection to 127.0.0.1:`port` and sends `input`, if given. */
export async function rawClient(port: number, input?: string): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  opened.add(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let ended = false;
  const wakers: (() => void)[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of wakers.splice(0)) wake();
  });
  const closed = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not close within 5 s; got ${JSON.stringify(text)}`)), 5000);
    socket.once('close', () => {
      ended = true;
      clearTimeout(timer);
      for (const wake of wakers.splice(0)) wake();
      resolve(text);
    });
  });
  closed.catch(() => undefined);
  const waitFor = (check: (received: string) => boolean, what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${what} within 5 s, got ${JSON.stringify(text)}`)), 5000);
      const poll = (): void => {
        if (check(text)) {
          clearTimeout(timer);
          resolve(text);
        } else if (ended) {
          clearTimeout(timer);
          reject(new Error(`expected ${what} before the server closed, got ${JSON.stringify(text)}`));
        } else wakers.push(poll);
      };
      poll();
    });
  if (input !== undefined) socket.write(input, 'latin1');
  return { socket, received: () => text, waitFor, closed };
}
