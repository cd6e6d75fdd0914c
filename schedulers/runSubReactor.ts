import { Server as NetServer, Socket } from 'node:net';
import { EMPTY, Subject, firstValueFrom, merge, type Observable } from 'rxjs';
import type { Backend, Transport } from '../src/backends/Backend.js';
import { defaultBackend } from '../src/backends/defaultBackend.js';
import { selectBackend } from '../src/backends/selectBackend.js';
import { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError, toRxloopError } from '../src/errors.js';
import { listen } from '../src/listen.js';
import { HandlerHost } from './HandlerHost.js';
import { loadHandler } from './loadHandler.js';
import { SingleReactor, inlineTaskRunner } from './singleReactor.js';
import { SERVICE_PATH_VARIABLE, type FromSubReactor, type SubReactorConfig, type ToSubReactor } from './SubReactorMessage.js';

/** The settings `net.Server` reads on every accept; a server received over IPC starts with Node's defaults. */
type AcceptSettings = NetServer & { pauseOnConnect: boolean; allowHalfOpen: boolean; noDelay: boolean };

/**
 * How a sub-reactor talks to its main side: a child process's IPC channel or a worker thread's port.
 *
 * @internal
 */
export interface SubReactorChannel {
  /** Sends a message (with the listening socket, for a process lending its copy); `sent` once it left. */
  send(message: FromSubReactor, handle?: NetServer, sent?: () => void): void;
  /** Calls `receive` for every message, with the handle (socket, server) that came with it. */
  listen(receive: (message: ToSubReactor, handle: unknown) => void): void;
  /** Ends the sub-reactor (the process, or only the thread). */
  exit(code: number): void;
}

const ignore = (): void => undefined;

/**
 * The body of one multi-reactor sub-reactor, in a process or a thread: loads the handler module, runs a
 * {@link HandlerHost} on a {@link SingleReactor} with the inline task runner (`offload` runs inline inside a
 * sub-reactor), and serves:
 * - accepted sockets the main side hands over (`{ type: 'connection' }`), adopted by the backend (`adopt`);
 * - or the connections it accepts itself: on the listening socket a main process hands over
 *   (`{ type: 'server' }`), or on its own listening socket beside the other threads' (`config.listen`, with
 *   `reusePort`).
 *
 * @internal
 * @param config what it runs
 * @param channel its link to the main side
 */
export async function runSubReactor(config: SubReactorConfig, channel: SubReactorChannel): Promise<void> {
  const send = channel.send;
  const failed = (error: unknown): void => {
    const coded = error instanceof RxloopError ? error : undefined;
    const message = error instanceof Error ? error.message : String(error);
    send({ type: 'failed', code: coded?.code ?? ErrorCode.INVALID_ARGUMENT, message }, undefined, () => channel.exit(1));
  };
  // Before the handler loads: it may look for its service as it loads.
  if (config.servicePath !== undefined) process.env[SERVICE_PATH_VARIABLE] = config.servicePath;
  let handler;
  let backend: Backend;
  try {
    backend = config.backend === undefined ? defaultBackend() : selectBackend(config.backend);
    if (config.listen === undefined && backend.adopt === undefined) {
      throw new RxloopError(ErrorCode.UNSUPPORTED,
        `multiReactor expected a backend that adopts sockets accepted elsewhere, but the ${backend.name} backend cannot`);
    }
    handler = await loadHandler(config.handlerModule);
  } catch (error) {
    failed(error);
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

  // The main side balances on these counts; one report per turn however many connections came and went.
  // The report also acknowledges the descriptors handled since the last one: they are the main thread's to close.
  let loadQueued = false;
  let handled: number[] = [];
  const reportLoad = (): void => {
    if (loadQueued) return;
    loadQueued = true;
    setImmediate(() => {
      loadQueued = false;
      const descriptors = handled;
      handled = [];
      send({ type: 'load', connections: host.connections.size, adopted: received, ...(descriptors.length > 0 && { descriptors }) });
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

  /**
   * A connection the acceptor thread handed over as a descriptor (see Backend.detachDescriptor). The descriptor
   * stays the acceptor's: this thread serves a duplicate (or refuses) and never closes `fd`; its load report
   * acknowledges it and the acceptor closes it then (or when this thread is gone, if the report never left).
   */
  const adoptDescriptor = (fd: number, unix: boolean): void => {
    received++;
    handled.push(fd);
    if (backend.adoptDescriptor === undefined) {
      reportLoad();
      return;
    }
    let transport: Transport;
    try {
      transport = backend.adoptDescriptor(fd, unix);
    } catch {
      reportLoad();
      return;
    }
    if (stopping || host.connections.size >= maxConnections) {
      transport.abort();
      reportLoad();
      return;
    }
    const connection = new Connection(transport, backend, { pauseReadingOnWriteBacklog: config.pauseReadingOnWriteBacklog });
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

  // A thread in shared-accept mode listens itself, on the port the first sub-reactor bound, with reusePort.
  const shutdown = new AbortController();
  let listening: (() => void) | undefined;
  const own: Observable<Connection> =
    config.listen === undefined
      ? EMPTY
      : listen({
          ...config.listen,
          reusePort: true,
          backend,
          maxConnections,
          pauseReadingOnWriteBacklog: config.pauseReadingOnWriteBacklog,
          shutdown: shutdown.signal,
          gracePeriod: Infinity,
          onListening: (info) => {
            listening?.();
            send({ type: 'ready', address: info.address });
          },
        });

  const finish = async (): Promise<void> => {
    // Handlers are done; let the closes they started flush before the sub-reactor goes.
    await Promise.all([...host.connections].map((connection) => firstValueFrom(connection.closed$)));
    channel.exit(0);
  };

  const stop = (deadline: number): void => {
    if (stopping) return;
    stopping = true;
    server?.close();
    server = undefined;
    shutdown.abort();
    connections.complete();
    host.drain();
    // At the deadline what is left is reset (a FIN would look like a complete reply); then the sub-reactor goes.
    setTimeout(() => host.cutOff(), deadline).unref();
    setTimeout(() => channel.exit(0), deadline + 1000).unref();
  };

  channel.listen((message, handle) => {
    switch (message.type) {
      case 'connection':
        if (message.descriptor !== undefined) {
          adoptDescriptor(message.descriptor, message.unix ?? false);
        } else if (handle instanceof Socket) {
          adopt(handle);
        } else {
          // The peer closed before the socket left the main side: the message came without it.
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

  let started = false;
  listening = () => {
    started = true;
  };
  host.serve(merge(connections, own)).subscribe({
    error: (error: unknown) => {
      // Only the listen can fail the stream: before it listened that is a failed start, later the end.
      if (!started) failed(toRxloopError(error, `listen on port ${String(config.listen?.port)}`));
      else void finish();
    },
    complete: () => void finish(),
  });
  if (config.listen === undefined) send({ type: 'ready' });
}
