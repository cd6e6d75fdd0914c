import { createInterface } from 'node:readline';

/**
 * The child side of the bench's JSON-lines protocol: what a server or client process prints and answers.
 * Messages go to stdout, one JSON object per line; commands arrive as lines on stdin.
 *
 * @internal
 */
export const childControl = {
  /** Prints a message for the harness. */
  send(message: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  },

  /**
   * Answers commands from the harness. `mem` is built in: it runs a full GC (with `--expose-gc`) and answers
   * the process's memory figures plus whatever `extra` adds.
   */
  commands(handlers: Record<string, () => Record<string, unknown> | Promise<Record<string, unknown>>> = {}): void {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      const command = line.trim();
      const handler = handlers[command] ?? (command === 'mem' ? memory : undefined);
      if (handler === undefined) {
        childControl.send({ error: `unknown command ${command}` });
        return;
      }
      void Promise.resolve(handler()).then((answer) => childControl.send(answer));
    });
    // The harness closing our stdin is not a reason to exit; SIGTERM is.
    lines.on('close', () => undefined);
  },

  /** Runs `stop` on SIGTERM (at most 3 s), then exits 0 (which also writes a `--cpu-prof` profile). */
  onStop(stop: () => unknown = () => undefined): void {
    process.once('SIGTERM', () => {
      const timer = setTimeout(() => process.exit(0), 3000);
      void Promise.resolve()
        .then(stop)
        .catch(() => undefined)
        .then(() => {
          clearTimeout(timer);
          process.exit(0);
        });
    });
  },

  /** The value after `--name` on the command line, or `fallback`. */
  arg(name: string, fallback?: string): string {
    const index = process.argv.indexOf(`--${name}`);
    const value = index === -1 ? fallback : process.argv[index + 1];
    if (value === undefined) throw new Error(`missing --${name}`);
    return value;
  },

  /** Whether `--name` is on the command line. */
  flag(name: string): boolean {
    return process.argv.includes(`--${name}`);
  },
};

async function memory(): Promise<Record<string, unknown>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    // Two passes and a turn between them let weak callbacks and finalizers run.
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  const usage = process.memoryUsage();
  return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
}
