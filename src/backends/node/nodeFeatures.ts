import { createServer, type Server } from 'node:net';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/**
 * What this Node.js can do with sockets beyond what every supported line does, found by trying it (never by
 * reading the version: a feature can be backported, and a line can lose one).
 *
 * ## Example
 * ```ts
 * import { nodeFeatures } from 'rxloop';
 *
 * const { reusePort, transferableSockets } = await nodeFeatures();
 * console.log(reusePort ? 'SO_REUSEPORT works' : 'reusePort is ignored by this Node (before 22.12)');
 * console.log(transferableSockets ? 'sockets move to worker threads' : 'sockets stay in their thread (before 24.20)');
 * ```
 */
export interface NodeFeatures {
  /**
   * `server.listen({ reusePort: true })` lets two listening sockets share one address and port (Node 22.12 and
   * 23.1 on). Older lines accept the option and silently ignore it, so the second listener gets EADDRINUSE.
   */
  readonly reusePort: boolean;
  /**
   * `net.Socket` and `net.Server` handles can be moved to another thread with `postMessage(handle, [handle])`
   * (Node 24.20 on, Unix only; a socket only while fresh: accepted, not read from, nothing written). Older lines
   * throw a DataCloneError.
   */
  readonly transferableSockets: boolean;
}

let probed: Promise<NodeFeatures> | undefined;

/**
 * Finds out, once per thread, which of the newer socket features this Node.js has: it listens on loopback
 * ports the system picks for a moment, to see whether a second `reusePort` listener is let in and whether a
 * listening server can be posted through a `MessageChannel`. Never rejects; a probe that fails says `false`.
 *
 * ## Example
 * ```ts
 * import { nodeFeatures } from 'rxloop';
 *
 * if (!(await nodeFeatures()).transferableSockets) console.log('thread-per-core needs Node 24.20 or later here');
 * ```
 *
 * @returns the features, the same promise on every call
 */
export function nodeFeatures(): Promise<NodeFeatures> {
  probed ??= Promise.all([probeReusePort(), probeTransferableSockets()]).then(([reusePort, transferableSockets]) =>
    Object.freeze({ reusePort, transferableSockets }),
  );
  return probed;
}

/** Listens on `port` (0: any) of 127.0.0.1; resolves with the server, or `undefined` when listening failed. */
function listenOnLoopback(port: number, reusePort: boolean): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      server.close();
      resolve(undefined);
    });
    // `reusePort` is in the typings from @types/node 22.12; Node 20 takes the option and ignores it.
    server.listen({ host: '127.0.0.1', port, reusePort, exclusive: true }, () => resolve(server));
  });
}

async function probeReusePort(): Promise<boolean> {
  const first = await listenOnLoopback(0, true);
  if (first === undefined) return false;
  try {
    const address = first.address();
    if (address === null || typeof address === 'string') return false;
    const second = await listenOnLoopback(address.port, true);
    second?.close();
    return second !== undefined;
  } finally {
    first.close();
  }
}

async function probeTransferableSockets(): Promise<boolean> {
  const server = await listenOnLoopback(0, false);
  if (server === undefined) return false;
  const { port1, port2 } = new MessageChannel();
  try {
    const arrived = new Promise<boolean>((resolve) => {
      port2.once('message', (message: unknown) => {
        (message as Server | undefined)?.close?.();
        resolve(true);
      });
    });
    try {
      port1.postMessage(server, [server as unknown as MessagePort]); // typed as not transferable before @types/node 24.20
    } catch {
      server.close();
      return false;
    }
    // Moved: this thread's copy is closed, and the one that arrived is closed by the listener above.
    return await arrived;
  } finally {
    port1.close();
    port2.close();
  }
}
