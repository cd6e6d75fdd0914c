import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { ReplaySubject, firstValueFrom, type Subscription } from 'rxjs';
import type { SocketAddress } from '../src/backends/Backend.js';
import { ErrorCode, RxloopError, toRxloopError } from '../src/errors.js';
import { checkEndpoint } from '../src/validate.js';
import { dashboardPage } from './admin/dashboardPage.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheusText.js';
import type { Server, ServerStats } from './Topology.js';

/**
 * Options for {@link serveAdmin}.
 *
 * ## Example
 * ```ts
 * import type { AdminOptions } from 'rxloop/schedulers';
 *
 * // Loopback only: the admin port is for the machine's own Prometheus agent and operators.
 * const options: AdminOptions = { host: '127.0.0.1', port: 9090 };
 * ```
 */
export interface AdminOptions {
  /** The address to bind (default `'127.0.0.1'`: metrics are not for the public). */
  readonly host?: string;
  /** The TCP port; 0 lets the operating system choose. */
  readonly port: number;
}

/**
 * A running admin endpoint, from {@link serveAdmin}.
 *
 * ## Example
 * ```ts
 * import { serve, serveAdmin } from 'rxloop/schedulers';
 *
 * const server = await serve('./handler.js', { port: 7000 });
 * const admin = await serveAdmin(server, { port: 9090 });
 * process.once('SIGTERM', async () => {
 *   admin.drain();                       // /readyz answers 503: balancers stop sending new clients
 *   await new Promise((resolve) => setTimeout(resolve, 2000));
 *   await server.stop({ deadline: 10_000 });
 *   await admin.close();
 * });
 * ```
 */
export interface AdminServer {
  /** Where the admin endpoint listens. */
  readonly address: SocketAddress;
  /** Whether `/readyz` answers 200 (until {@link AdminServer.drain}). */
  readonly ready: boolean;
  /** Readiness fails from now on (`/readyz` answers 503), for good: the first step of a graceful stop. */
  drain(): void;
  /** Stops the endpoint: closes its listener and its dashboard streams. */
  close(): Promise<void>;
}

/**
 * Serves a server's admin endpoint over HTTP/1.1:
 * - `GET /metrics`: Prometheus text exposition (see {@link prometheusText}), with `rxloop_ready`;
 * - `GET /healthz`: 200 while the process runs;
 * - `GET /readyz`: 200 while serving, 503 from the moment {@link AdminServer.drain} was called;
 * - `GET /`: a live dashboard (per-reactor connections, bytes/s, events/s, paused connections, event-loop delay),
 *   fed by `GET /stats/stream` (server-sent events, one `ServerStats` per stats interval) and `GET /stats.json`.
 *
 * ## Example
 * ```ts
 * import { serve, serveAdmin } from 'rxloop/schedulers';
 *
 * const server = await serve('./handler.js', { port: 7000 });
 * const admin = await serveAdmin(server, { host: '127.0.0.1', port: 9090 });
 * console.log('metrics at', admin.address); // curl http://127.0.0.1:9090/metrics
 * ```
 *
 * @param server the server to report on
 * @param options where to listen
 * @returns the endpoint, once it listens
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for a bad address, `ERR_ADDRESS_IN_USE` and the like when it cannot listen
 */
export async function serveAdmin(server: Server, options: AdminOptions): Promise<AdminServer> {
  const problem = checkEndpoint('serveAdmin', options ?? {}, true);
  if (problem !== undefined) throw problem;
  const host = options.host ?? '127.0.0.1';
  const latest = new ReplaySubject<ServerStats>(1);
  const streams = new Set<ServerResponse>();
  let ready = true;
  const watching: Subscription = server.stats$.subscribe({
    next: (stats) => {
      latest.next(stats);
      const event = `data: ${JSON.stringify({ ready, ...stats })}\n\n`;
      for (const stream of streams) stream.write(event);
    },
    error: () => undefined,
  });
  const snapshot = (): Promise<ServerStats> => firstValueFrom(latest);

  const http: HttpServer = createServer((request, response) => {
    void route(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`${(error as Error).message ?? String(error)}\n`);
    });
  });
  // A scraper that keeps its connection gets it kept; one that goes quiet for long is let go.
  http.keepAliveTimeout = 65_000;

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET\n');
      return;
    }
    switch (path) {
      case '/metrics': {
        const text = prometheusText(await snapshot(), { rxloop_ready: { help: 'Whether the server takes new connections (1) or is draining (0).', value: ready ? 1 : 0 } });
        response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(text);
        return;
      }
      case '/healthz':
        response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok\n');
        return;
      case '/readyz':
        response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(ready ? 'ready\n' : 'draining\n');
        return;
      case '/':
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(dashboardPage);
        return;
      case '/stats.json':
        response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ ready, ...(await snapshot()) }));
        return;
      case '/stats/stream': {
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        response.write(`retry: 2000\ndata: ${JSON.stringify({ ready, ...(await snapshot()) })}\n\n`);
        streams.add(response);
        response.on('close', () => streams.delete(response));
        return;
      }
      default:
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /, /metrics, /healthz or /readyz\n');
    }
  };

  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      watching.unsubscribe();
      reject(toRxloopError(error, `admin listen on ${host}:${options.port}`));
    };
    http.once('error', failed);
    http.listen({ host, port: options.port }, () => {
      http.off('error', failed);
      resolve();
    });
  });
  const bound = http.address();
  if (bound === null || typeof bound === 'string') throw new RxloopError(ErrorCode.SOCKET, `expected an address after the admin listen on ${host}, got ${String(bound)}`);
  const address: SocketAddress = { kind: 'inet', family: bound.family === 'IPv6' ? 'IPv6' : 'IPv4', address: bound.address, port: bound.port };

  let closed: Promise<void> | undefined;
  return {
    address,
    get ready() {
      return ready;
    },
    drain() {
      ready = false;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        watching.unsubscribe();
        for (const stream of streams) stream.end();
        streams.clear();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closed;
    },
  };
}
