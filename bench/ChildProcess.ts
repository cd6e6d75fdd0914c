import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { reapedChildrenCpuSeconds, treeCpuSeconds, treeRssBytes } from './procStat.js';

/** How to start a bench child. @internal */
export interface ChildSpec {
  /** The compiled script (absolute path), run with this Node. */
  readonly script?: string;
  /** Or an executable to run instead of Node (redis-server). */
  readonly command?: string;
  readonly args?: readonly string[];
  /** Extra Node flags (`--expose-gc`, `--cpu-prof`, ...). */
  readonly nodeArgs?: readonly string[];
  /** Raise the open-file limit first (spawn through bash); the limit obtained is in `FD_LIMIT`. */
  readonly raiseFdLimit?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** Pin the process (and its threads) to these CPUs, a `taskset -c` list such as `1`. */
  readonly cpus?: string;
}

/** A JSON message a child printed on its stdout. @internal */
export type ChildMessage = Record<string, unknown>;

/**
 * A bench child process (a server under test, a sender, a client) that talks in JSON lines: it prints one
 * JSON object per line on stdout (`{"ready":true,"port":1234}` first for servers) and takes commands as lines
 * on stdin. Its stderr is kept (the tail) for error messages.
 *
 * @internal
 */
export class ChildProcess {
  readonly pid: number;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly label: string;
  private readonly messages: ChildMessage[] = [];
  private waiters: ((message: ChildMessage | undefined) => void)[] = [];
  private stderrTail = '';
  private exitCode: number | null | undefined = undefined;
  private readonly exited: Promise<number | null>;
  private readonly startedCpu = reapedChildrenCpuSeconds();
  private readonly startedAt = performance.now();

  private constructor(label: string, child: ChildProcessWithoutNullStreams) {
    this.label = label;
    this.child = child;
    this.pid = child.pid ?? -1;
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      partial += text;
      let newline = partial.indexOf('\n');
      while (newline !== -1) {
        const line = partial.slice(0, newline).trim();
        partial = partial.slice(newline + 1);
        newline = partial.indexOf('\n');
        if (line.startsWith('{')) this.deliver(JSON.parse(line) as ChildMessage);
        else if (line.length > 0) this.stderrTail = (this.stderrTail + line + '\n').slice(-4000);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-4000);
    });
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      // 'close' comes after the child's stdio has been read to the end, so no message is lost.
      child.on('close', (code, signal) => {
        this.exitCode = code ?? (signal !== null ? -1 : null);
        for (const waiter of this.waiters.splice(0)) waiter(undefined);
        resolve(this.exitCode);
      });
    });
  }

  /**
   * Starts a child.
   *
   * @param label for error messages
   * @param spec what to run
   * @returns the running child
   */
  static start(label: string, spec: ChildSpec): ChildProcess {
    const env = { ...process.env, ...spec.env };
    const argv = spec.command !== undefined
      ? [spec.command, ...(spec.args ?? [])]
      : [process.execPath, ...(spec.nodeArgs ?? []), spec.script ?? '', ...(spec.args ?? [])];
    // taskset execs the program, so the pid (whose CPU and memory are read) is the server's own.
    const pinned = spec.cpus === undefined ? argv : ['taskset', '-c', spec.cpus, ...argv];
    const child = spec.raiseFdLimit
      ? spawn('bash', ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; export FD_LIMIT="$(ulimit -n)"; exec "$0" "$@"',
        ...pinned], { env })
      : spawn(pinned[0]!, pinned.slice(1), { env });
    return new ChildProcess(label, child);
  }

  /**
   * Waits for the child's `{"ready":true,...}` message.
   *
   * @param timeoutMs how long start-up may take
   * @returns the message (servers put their `port` in it)
   */
  async ready(timeoutMs = 30_000): Promise<ChildMessage> {
    const message = await this.next(timeoutMs);
    if (message['ready'] !== true) throw this.failure(`sent ${JSON.stringify(message)} instead of ready`);
    return message;
  }

  /** Whether the process has exited. */
  get hasExited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The last lines the child wrote to stderr. */
  get stderr(): string {
    return this.stderrTail;
  }

  /**
   * The next message (in order), or an error when the child exits first or `timeoutMs` passes.
   *
   * @param timeoutMs how long to wait
   * @returns the message
   */
  async next(timeoutMs = 30_000): Promise<ChildMessage> {
    const queued = this.messages.shift();
    if (queued !== undefined) return queued;
    if (this.exitCode !== undefined) throw this.failure('exited');
    let timer: NodeJS.Timeout | undefined;
    const message = await new Promise<ChildMessage | undefined | 'timeout'>((resolve) => {
      this.waiters.push(resolve);
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    clearTimeout(timer);
    if (message === 'timeout') {
      this.waiters = [];
      throw this.failure(`sent nothing for ${timeoutMs} ms`);
    }
    if (message === undefined) throw this.failure('exited');
    return message;
  }

  /**
   * Sends a command line and waits for the answer (the next message).
   *
   * @param line the command
   * @param timeoutMs how long to wait for the answer
   * @returns the answer
   */
  async ask(line: string, timeoutMs = 30_000): Promise<ChildMessage> {
    this.child.stdin.write(`${line}\n`);
    return this.next(timeoutMs);
  }

  /** Sends a command line without waiting. */
  tell(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** CPU seconds of the child and its descendants so far (while it runs). */
  cpuSeconds(): number {
    return treeCpuSeconds(this.pid);
  }

  /** Resident memory of the child and its descendants. */
  rssBytes(): number {
    return treeRssBytes(this.pid);
  }

  /**
   * Waits for the child to exit by itself.
   *
   * @param timeoutMs after this the child is killed and an error thrown
   * @returns the CPU seconds it used over its life (including children it waited for) and the wall time
   */
  async wait(timeoutMs: number): Promise<{ cpuSeconds: number; wallSeconds: number; code: number | null }> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.exited,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await this.kill();
      throw this.failure(`did not finish within ${timeoutMs} ms`);
    }
    return {
      cpuSeconds: reapedChildrenCpuSeconds() - this.startedCpu,
      wallSeconds: (performance.now() - this.startedAt) / 1000,
      code: result,
    };
  }

  /**
   * Asks the child to stop (SIGTERM), then kills it (SIGKILL) if it has not exited after `graceMs`.
   *
   * @param graceMs how long it may take
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (!done) await this.kill();
  }

  /** Kills the child at once and waits for it. */
  async kill(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  private deliver(message: ChildMessage): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(message);
    else this.messages.push(message);
  }

  private failure(what: string): Error {
    const tail = this.stderrTail.trim();
    return new Error(`${this.label} ${what}${this.exitCode !== undefined ? ` (exit ${String(this.exitCode)})` : ''}` +
      (tail.length > 0 ? `:\n${tail.split('\n').slice(-15).join('\n')}` : ''));
  }
}
