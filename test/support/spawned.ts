import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestHost } from './testHosts.js';

/** dist/test/support/spawned.js -> dist/bin/rxloop.js */
export const rxloopCli = join(resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..'), 'bin', 'rxloop.js');

/** A child process a test started, with what it printed; killed at exit if the test could not stop it. */
export interface Spawned {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it has exited. */
  readonly exited: Promise<number | string>;
  /** Waits until the output matches `pattern` (rejects when the process exits first or after `ms`). */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** SIGKILL unless it has exited, then waits for the exit. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a process for a test, failing loudly when the program is missing (`ENOENT` names the Debian package to
 * install). Every process started here is SIGKILLed when this process exits.
 */
export async function spawnTracked(command: string, args: readonly string[], missing: string): Promise<Spawned> {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters = new Set<() => void>();
  const onText = (chunk: string): void => {
    text += chunk;
    for (const waiter of waiters) waiter();
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', onText);
  running.add(child);
  const exited = new Promise<number | string>((done) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      for (const waiter of waiters) waiter();
      done(code ?? signal ?? 'unknown');
    });
  });
  await new Promise<void>((started, failed) => {
    child.once('spawn', started);
    child.once('error', (error: NodeJS.ErrnoException) => {
      running.delete(child);
      failed(error.code === 'ENOENT' ? new Error(`${command} is missing: ${missing}`, { cause: error }) : error);
    });
  });
  const waitFor = (pattern: RegExp, ms = 15_000): Promise<RegExpExecArray> =>
    new Promise((found, failed) => {
      const check = (): void => {
        const match = pattern.exec(text);
        if (match !== null) finish(() => found(match));
        else if (child.exitCode !== null || child.signalCode !== null) {
          finish(() => failed(new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${text}`)));
        }
      };
      const timer = setTimeout(() => finish(() => failed(new Error(`${command} did not print ${pattern} within ${ms} ms:\n${text}`))), ms);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { child, output: () => text, exited, waitFor, kill };
}

/** A running `rxloop serve`, with the ports it printed. */
export interface RxloopServe extends Spawned {
  readonly port: number;
  /** The admin endpoint's port, when `--admin` was given. */
  readonly adminPort: number | undefined;
}

/**
 * Runs `rxloop serve <args>` (the built CLI, on this Node.js) on a test host and waits until it says where it
 * listens (and where its admin endpoint is, with `--admin`).
 */
export async function startServe(host: TestHost, args: readonly string[]): Promise<RxloopServe> {
  const line = host.command(process.execPath, [rxloopCli, 'serve', ...args]);
  const spawned = await spawnTracked(line.command, line.args, 'node (and ip, from iproute2, for a test host)');
  try {
    const listening = await spawned.waitFor(/listening on (?:\[[^\]]+\]|[^\s:]+):(\d+)/);
    const admin = args.includes('--admin') ? await spawned.waitFor(/admin on http:\/\/(?:\[[^\]]+\]|[^\s:]+):(\d+)\//) : undefined;
    return { ...spawned, port: Number(listening[1]), adminPort: admin === undefined ? undefined : Number(admin[1]) };
  } catch (error) {
    await spawned.kill();
    throw error;
  }
}

/** A TCP port free on 127.0.0.1 now (for a tool that needs its port in a config file). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Rejects after `ms` with `what` in the message, so a deployment test stays bounded in time. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, failed) => {
    timer = setTimeout(() => failed(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` every `every` ms until it returns a value other than undefined, or fails after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 15_000, every = 50): Promise<T> {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms${last === undefined ? '' : ` (last: ${String(last)})`}`);
    await new Promise((done) => setTimeout(done, every));
  }
}
