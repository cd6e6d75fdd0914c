import * as net from 'node:net';
import { ChildProcess, type ChildSpec } from './ChildProcess.js';

/** A server under test and where it listens. @internal */
export interface RunningServer {
  readonly process: ChildProcess;
  readonly port: number;
}

/**
 * Starts a server process, waits until it listens, runs `measure`, and always stops the server (and waits for
 * it to exit, so its CPU time is reaped before the next measurement starts).
 *
 * @internal
 * @param label for errors and progress
 * @param spec the process; a Node script announces its port, a `command` (redis-server) is given `port`
 * @param measure the measurement
 * @param port for a `command`: the port it was told to use
 * @returns what `measure` returns
 */
export async function withServer<T>(
  label: string,
  spec: ChildSpec,
  measure: (server: RunningServer) => Promise<T>,
  port?: number,
): Promise<T> {
  const child = ChildProcess.start(label, spec);
  try {
    let listening: number;
    if (spec.command !== undefined) {
      if (port === undefined) throw new Error(`${label}: a command server needs a port`);
      await waitForPort(port, child, 10_000);
      listening = port;
    } else {
      listening = Number((await child.ready())['port']);
    }
    return await measure({ process: child, port: listening });
  } finally {
    await child.stop();
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot be told to pick one).
 *
 * @internal
 * @returns the port
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (child.hasExited) throw new Error(`server on port ${port} exited at start: ${child.stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}
