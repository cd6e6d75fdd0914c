/**
 * Options for `multiReactor`: how many sub-reactors, who accepts, how hand-offs are balanced, whether a
 * crashed sub-reactor is replaced, and whether the sub-reactors are processes or threads.
 *
 * ## Example
 * ```ts
 * import { multiReactor, serve, type MultiReactorOptions } from 'rxloop/schedulers';
 *
 * const options: MultiReactorOptions = { reactors: 4, accept: 'acceptor', balance: 'least-connections', restart: true, threads: false };
 * await serve('./dist/examples/echo/handler.js', { port: 7000, scheduler: multiReactor(options) });
 * ```
 */
export interface MultiReactorOptions {
  /** How many sub-reactors to run (default `os.availableParallelism()`, at least 1). */
  readonly reactors?: number;
  /**
   * Who accepts connections:
   * - `'acceptor'` (default): the main process accepts and hands each socket to a sub-reactor, which lets it
   *   balance by `balance` and enforce `maxConnections` for the whole server;
   * - `'shared'` (nginx-style): every sub-reactor accepts on the same listening socket itself, with no
   *   per-connection hand-off; the kernel decides who gets each connection, and `maxConnections` is split
   *   evenly between sub-reactors.
   */
  readonly accept?: 'acceptor' | 'shared';
  /**
   * How the acceptor picks a sub-reactor (acceptor mode only): `'round-robin'` (default) or
   * `'least-connections'` (by the counts the sub-reactors report, plus the sockets on their way to them).
   */
  readonly balance?: 'round-robin' | 'least-connections';
  /** Start a new sub-reactor in place of one that dies (default `true`). */
  readonly restart?: boolean;
  /**
   * Run the sub-reactors as worker threads of this process rather than as child processes (default `false`).
   * Each thread has its own event loop. Acceptor mode moves each accepted socket to its thread (Node.js 24.20
   * on), or, on the uring backend, hands its descriptor to the thread's ring (any line); shared mode has every thread listen on the same port with `reusePort` (the node backend: Node.js 22.12
   * on; TCP only). Where the chosen mode cannot run, `serve` fails with `ERR_UNSUPPORTED` saying what it needs.
   */
  readonly threads?: boolean;
}
