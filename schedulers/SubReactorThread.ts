import type { Backend } from '../src/backends/Backend.js';
import type { Socket } from 'node:net';
import { Worker, type Transferable } from 'node:worker_threads';
import { RingTransport } from './RingTransport.js';
import { SubReactor } from './SubReactor.js';
import type { FromSubReactor, SubReactorConfig, ToSubReactor } from './SubReactorMessage.js';
import type { ServerEvent } from './Topology.js';

const entry = new URL('./threadSubReactor.js', import.meta.url);

/**
 * The main thread's side of one sub-reactor thread: the worker thread with its own event loop, and the
 * connections moved to it (`postMessage(socket, [socket])`, Node.js 24.20 on). A thread that throws or exits
 * ends with its exit code; this side reports it like a process's exit.
 *
 * The thread's links to the server's service are shared memory rings ({@link RingTransport}): this side builds
 * the main thread's end of each one the thread opens and hands it to `linkService`; when the thread ends, its
 * links end with it (what it wrote is still read, then the service sees the end, as it would see a dead
 * process's socket close).
 *
 * @internal
 */
export class SubReactorThread extends SubReactor {
  private readonly worker: Worker;
  private running = true;
  private readonly linkService: ((transport: RingTransport) => void) | undefined;
  /** The main thread's ends of this thread's open links to the service. */
  private readonly links = new Set<RingTransport>();
  /**
   * Descriptors posted to the thread that it has not acknowledged yet (see {@link SubReactorThread.handOff}):
   * this thread owns and closes each, on the acknowledgement or at the thread's exit, whichever comes first.
   */
  private readonly inFlight = new Set<number>();

  /**
   * Starts the thread.
   *
   * @param config what the sub-reactor runs
   * @param onEvent told of the sub-reactor's handler errors
   * @param linkService serves the main thread's end of a link the thread opened to the service (absent: no
   *   service; such a link is reset)
   * @param handOffBy the main thread's backend, when it hands sockets over as descriptors (`detachDescriptor`)
   *   rather than moving them (`postMessage(socket, [socket])`, Node.js 24.20 on)
   */
  constructor(
    config: SubReactorConfig,
    onEvent: (event: ServerEvent) => void,
    linkService?: (transport: RingTransport) => void,
    private readonly handOffBy?: Backend,
  ) {
    super(config.reactor, onEvent);
    this.linkService = linkService;
    this.worker = new Worker(entry, { workerData: config, execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')) });
    // An uncaught exception ends the thread; its 'exit' (code 1) follows and is what the server reports.
    this.worker.on('error', () => undefined);
    this.worker.on('exit', (exitCode) => {
      this.running = false;
      for (const link of this.links) link.peerGone();
      this.links.clear();
      // What it never acknowledged it never read, or read and only duplicated: ours to close, once.
      this.closeInFlight([...this.inFlight]);
      this.finish(exitCode, null);
    });
    this.worker.on('message', (message: FromSubReactor) => {
      if (message.type === 'service-link') this.linked(message.toService, message.fromService, config.servicePath ?? '');
      else {
        if (message.type === 'load' && message.descriptors !== undefined) this.closeInFlight(message.descriptors);
        void this.receive(message);
      }
    });
  }

  /**
   * Closes the descriptors given that are still in flight and forgets them. A number not in flight (an
   * acknowledgement that came after the exit closed everything) is left alone: it may be another's by now.
   */
  private closeInFlight(descriptors: readonly number[]): void {
    for (const fd of descriptors) {
      if (this.inFlight.delete(fd)) this.handOffBy?.closeDescriptor?.(fd);
    }
  }

  /** The thread opened a link to the service: this side's end is built on the same memory and served. */
  private linked(inbound: SharedArrayBuffer, outbound: SharedArrayBuffer, path: string): void {
    const transport = new RingTransport(inbound, outbound, { kind: 'unix', path });
    if (!this.running) transport.peerGone();
    const serve = this.linkService;
    if (serve === undefined) {
      transport.abort();
      return;
    }
    for (const link of this.links) if (link.isClosed) this.links.delete(link);
    if (this.running) this.links.add(transport);
    serve(transport);
  }

  /** The thread's id, for tests and supervisors. */
  get threadId(): number {
    return this.worker.threadId;
  }

  protected get connected(): boolean {
    return this.running;
  }

  /**
   * Moves an accepted socket to the thread; this thread's copy is closed by the move. As a descriptor (a backend
   * that hands them over), the number travels and this thread keeps it open until the thread acknowledges it in
   * a load report (it has adopted a duplicate, or refused) or exits: a thread that dies before it reads the
   * message leaks nothing, and the peer sees the connection close.
   */
  handOff(socket: Socket): void {
    this.sent++;
    const backend = this.handOffBy;
    if (backend !== undefined) {
      // The descriptor travels (it is the process's): the thread's backend adopts a duplicate of it.
      const detached = backend.detachDescriptor!(socket);
      if (detached === undefined) {
        this.sent--;
        socket.destroy();
        return;
      }
      if (!this.running) {
        // Its exit has closed what was in flight already; nobody would read this one.
        this.sent--;
        backend.closeDescriptor?.(detached.fd);
        return;
      }
      try {
        this.worker.postMessage({ type: 'connection', descriptor: detached.fd, unix: detached.unix } satisfies ToSubReactor);
      } catch {
        this.sent--;
        backend.closeDescriptor?.(detached.fd);
        return;
      }
      this.inFlight.add(detached.fd);
      return;
    }
    try {
      this.worker.postMessage({ type: 'connection', socket } satisfies ToSubReactor, [socket as unknown as Transferable]);
    } catch {
      // Closed by the peer before it could leave (a handle that is gone cannot move): nobody to serve.
      this.sent--;
      socket.destroy();
    }
  }

  kill(): void {
    if (!this.hasExited) void this.worker.terminate();
  }

  protected post(message: ToSubReactor, done?: (error: Error | null) => void): void {
    if (!this.running) return;
    this.worker.postMessage(message);
    done?.(null);
  }
}
