/**
 * The entry script of one `multiReactor` sub-reactor: a child process with its own event loop that runs the
 * whole pipeline (read, handler, write) for the connections it owns. `multiReactor` starts it with
 * `child_process.fork`, passing a {@link SubReactorConfig} as JSON in `argv[2]`.
 *
 * It loads the handler module, runs a {@link HandlerHost} on a {@link SingleReactor} with the inline task
 * runner (`offload` runs inline inside a sub-reactor), and then serves:
 * - accepted sockets the main process hands over (`{ type: 'connection' }` with the socket), adopted into the
 *   backend (its `adopt`);
 * - or, in shared-accept mode, the connections it accepts itself on the listening socket the main process
 *   hands over (`{ type: 'server' }` with the server).
 *
 * It exits when the main process's IPC channel closes, so it can never outlive the main process.
 *
 * @internal
 * @packageDocumentation
 */
import { Server as NetServer, Socket } from 'node:net';
import { Subject, firstValueFrom } from 'rxjs';
import { Connection } from '../src/Connection.js';
import type { Backend } from '../src/backends/Backend.js';
import { defaultBackend } from '../src/backends/defaultBackend.js';
import { selectBackend } from '../src/backends/selectBackend.js';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { HandlerHost } from './HandlerHost.js';
import { loadHandler } from './loadHandler.js';
import { SingleReactor, inlineTaskRunner } from './singleReactor.js';
import { SERVICE_PATH_VARIABLE, type FromSubReactor, type SubReactorConfig, type ToSubReactor } from './SubReactorMessage.js';

/** The settings `net.Server` reads on every accept; a server received over IPC starts with Node's defaults. */
type AcceptSettings = NetServer & { pauseOnConnect: boolean; allowHalfOpen: boolean; noDelay: boolean };

const ignore = (): void => undefined;

function send(message: FromSubReactor, handle?: NetServer, sent: () => void = ignore): void {
  // The callback turns a send to a main process that just died into a no-op; 'disconnect' ends us anyway.
  if (process.connected) process.send?.(message, handle, undefined, sent);
}

async function main(config: SubReactorConfig): Promise<void> {
  // Before the handler loads: it may look for its service as it loads.
  if (config.servicePath !== undefined) process.env[SERVICE_PATH_VARIABLE] = config.servicePath;
  let handler;
  let backend: Backend;
  try {
    backend = config.backend === undefined ? defaultBackend() : selectBackend(config.backend);
    if (backend.adopt === undefined) {
      throw new RxloopError(ErrorCode.UNSUPPORTED,
        `multiReactor expected a backend that adopts sockets handed over by another process, but the ${backend.name} backend cannot`);
    }
    handler = await loadHandler(config.handlerModule);
  } catch (error) {
    const coded = error instanceof RxloopError ? error : undefined;
    const message = error instanceof Error ? error.message : String(error);
    send({ type: 'failed', code: coded?.code ?? ErrorCode.INVALID_ARGUMENT, message }, undefined, () => process.exit(1));
    return;
  }

  const maxConnections = config.maxConnections ?? Infinity;
  const connections = new Subject<Connection>();
  const host = new HandlerHost({
    reactor: config.reactor,
    handler,
    scheduler: new SingleReactor(),
    taskRunner: inlineTaskRunner,
    onEvent: (event) => send({ type: 'event', event }),
    proxyProtocol: config.proxyProtocol && {
      ...config.proxyProtocol,
      timeout: (config.proxyProtocol.timeout as number | null | undefined) === null ? Infinity : config.proxyProtocol.timeout,
    },
  });
  let received = 0;
  let server: NetServer | undefined;
  let stopping = false;

  // The main process balances on these counts; one report per turn however many connections came and went.
  let loadQueued = false;
  const reportLoad = (): void => {
    if (loadQueued) return;
    loadQueued = true;
    setImmediate(() => {
      loadQueued = false;
      send({ type: 'load', connections: host.connections.size, adopted: received });
    });
  };

  const adopt = (socket: Socket): void => {
    received++;
    if (stopping || host.connections.size >= maxConnections) {
      socket.on('error', ignore);
      socket.destroy();
      reportLoad();
      return;
    }
    const connection = new Connection(backend.adopt!(socket), backend, {
      pauseReadingOnWriteBacklog: config.pauseReadingOnWriteBacklog,
    });
    connection.closed$.subscribe(reportLoad);
    connections.next(connection);
    reportLoad();
  };

  const share = (shared: NetServer): void => {
    const settings = shared as AcceptSettings;
    settings.pauseOnConnect = true;
    settings.allowHalfOpen = true;
    settings.noDelay = true;
    shared.on('connection', adopt);
    // Accept errors (EMFILE) are transient for this socket; without a listener they would kill the process.
    shared.on('error', ignore);
    if (stopping) shared.close();
    else server = shared;
  };

  const finish = async (): Promise<void> => {
    // Handlers are done; let the closes they started flush before the process goes.
    await Promise.all([...host.connections].map((connection) => firstValueFrom(connection.closed$)));
    process.exit(0);
  };

  const stop = (deadline: number): void => {
    if (stopping) return;
    stopping = true;
    server?.close();
    server = undefined;
    connections.complete();
    host.drain();
    // At the deadline what is left is reset (a FIN would look like a complete reply); then the process goes.
    setTimeout(() => host.cutOff(), deadline);
    setTimeout(() => process.exit(0), deadline + 1000);
  };

  process.on('message', (message: ToSubReactor, handle: unknown) => {
    switch (message.type) {
      case 'connection':
        if (handle instanceof Socket) {
          adopt(handle);
        } else {
          // The peer closed before the socket left the main process: Node sent the message without it.
          received++;
          reportLoad();
        }
        break;
      case 'server':
        if (handle instanceof NetServer) share(handle);
        break;
      case 'lend-server':
        send({ type: 'server' }, server);
        break;
      case 'stats':
        send({ type: 'stats', id: message.id, stats: host.stats() });
        break;
      case 'stop':
        stop(message.deadline);
        break;
    }
  });

  host.serve(connections).subscribe({ complete: () => void finish() });
  send({ type: 'ready' });
}

if (process.send !== undefined && process.argv[2] !== undefined) {
  // An orphan must not outlive its main process: the IPC channel closes when the main process is gone.
  process.on('disconnect', () => process.exit(0));
  // Ctrl-C signals the whole process group; the main process decides (a graceful stop, or dying, which ends
  // us through 'disconnect'), so a sub-reactor does not die under its connections on its own.
  process.on('SIGINT', ignore);
  void main(JSON.parse(process.argv[2]) as SubReactorConfig);
}
