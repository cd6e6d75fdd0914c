import { rmSync } from 'node:fs';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Subject, exhaustMap, from, interval, startWith, type Observable } from 'rxjs';
import type { Backend, SocketAddress } from '../src/backends/Backend.js';
import { selectBackend, type BackendChoice } from '../src/backends/selectBackend.js';
import { defaultBackend } from '../src/backends/defaultBackend.js';
import { toSocketAddress } from '../src/backends/shared/toSocketAddress.js';
import { Connection } from '../src/Connection.js';
import { ErrorCode, RxloopError, toRxloopError } from '../src/errors.js';
import { checkCount, checkEndpoint, describe } from '../src/validate.js';
import { loadHandler, resolveHandlerModule } from './loadHandler.js';
import type { MultiReactorOptions } from './MultiReactorOptions.js';
import type { RingTransport } from './RingTransport.js';
import { SingleReactor, inlineTaskRunner } from './singleReactor.js';
import { startReactorServer } from './startReactorServer.js';
import type { SubReactorConfig } from './SubReactorMessage.js';
import type { SubReactor } from './SubReactor.js';
import { SubReactorProcess } from './SubReactorProcess.js';
import { SubReactorThread } from './SubReactorThread.js';
import { threadSupport } from './threadSupport.js';
import type { ReactorStats, ServeOptions, Server, ServerEvent, ServerStats } from './Topology.js';

/** Sockets the main process holds while no sub-reactor can take them (all restarting); more are refused. */
const MAX_WAITING = 1024;
/** How long a stats request waits for a sub-reactor's answer. */
const STATS_TIMEOUT = 1000;
/** After the stop deadline, how long sub-reactors get to close and exit before they are killed. */
const EXIT_GRACE = 3000;

const ignore = (): void => undefined;

/** Numbers the service sockets of the servers of this process. */
let services = 0;

/** A multi-reactor's options with the defaults applied. */
type MultiReactorSettings = Required<MultiReactorOptions>;

/**
 * The main process of a running multi-reactor: starts the sub-reactor processes, owns the listening socket,
 * hands accepted sockets over (acceptor mode) or hands the listening socket itself over (shared mode),
 * replaces sub-reactors that die, merges their stats and stops them all.
 *
 * @internal
 */
export class MultiReactorServer implements Server {
  readonly stats$: Observable<ServerStats>;
  readonly events$: Observable<ServerEvent>;
  private readonly events = new Subject<ServerEvent>();
  private readonly handlerModule: string;
  private readonly options: ServeOptions;
  private readonly settings: MultiReactorSettings;
  private readonly subs: SubReactor[] = [];
  /** Deaths of each slot's sub-reactors soon after their start, in a row (crash-loop back-off). */
  private readonly strikes: number[] = [];
  private readonly restartTimers = new Set<ReturnType<typeof setTimeout>>();
  /** The main process's copy of the listening socket, while it has one. */
  private listener: NetServer | undefined;
  private bound: SocketAddress | undefined;
  private readonly waiting: Socket[] = [];
  private cursor = 0;
  private accepted = 0;
  private handedOff = 0;
  private closing = false;
  private stopped: Promise<void> | undefined;
  /** Replacements run one at a time, so two of them never race to re-bind the address. */
  private restarts: Promise<void> = Promise.resolve();
  private readonly onStopped: () => void;
  /** The handler module's service, served by this process on a private Unix socket, if it declares one. */
  private service: Server | undefined;
  private servicePath: string | undefined;
  /** The service's links from sub-reactor threads (shared memory rings), until the service stops. */
  private serviceLinks: Subject<Connection> | undefined;

  private constructor(handlerModule: string, options: ServeOptions, settings: MultiReactorSettings, onStopped: () => void) {
    this.handlerModule = handlerModule;
    this.options = options;
    this.settings = settings;
    this.onStopped = onStopped;
    this.events$ = this.events.asObservable();
    this.stats$ = interval(options.statsInterval ?? 1000).pipe(
      startWith(0),
      exhaustMap(() => from(this.snapshot())),
    );
  }

  /**
   * Starts the sub-reactors, then listens; resolves once every sub-reactor runs and the address is bound.
   *
   * @param handlerModule the handler module's URL
   * @param options where to listen
   * @param settings the multi-reactor's settings
   * @param onStopped called once the server has stopped
   */
  static async start(
    handlerModule: string,
    options: ServeOptions,
    settings: MultiReactorSettings,
    onStopped: () => void,
  ): Promise<MultiReactorServer> {
    const problem = checkOptions(options, settings) ??
      (settings.threads ? await threadSupport(settings.accept, handOffBackend(options, settings) !== undefined) : undefined);
    if (problem !== undefined) throw problem;
    const server = new MultiReactorServer(handlerModule, options, settings, onStopped);
    await server.open();
    return server;
  }

  get port(): number | undefined {
    const address = this.bound;
    return address?.kind === 'inet' ? address.port : undefined;
  }

  get address(): SocketAddress {
    return this.bound!;
  }

  /** The live sub-reactors' names and process ids (and thread ids, for threads). */
  subReactors(): { reactor: string; pid: number; threadId?: number }[] {
    return this.subs.flatMap((sub) => {
      if (sub.hasExited) return [];
      if (sub instanceof SubReactorThread) return [{ reactor: sub.reactor, pid: process.pid, threadId: sub.threadId }];
      const pid = (sub as SubReactorProcess).pid;
      return pid === undefined ? [] : [{ reactor: sub.reactor, pid }];
    });
  }

  stop({ deadline = 5000 }: { readonly deadline?: number } = {}): Promise<void> {
    const problem = checkCount('stop deadline', deadline);
    if (problem !== undefined) return Promise.reject(problem);
    this.stopped ??= this.shutdown(deadline);
    return this.stopped;
  }

  private async open(): Promise<void> {
    // First, so that every sub-reactor can reach it from the moment its handler loads.
    await this.startService();
    try {
      if (this.ownListeners) {
        await this.openOwnListeners();
        return;
      }
      for (let i = 0; i < this.settings.reactors; i++) this.spawn(i);
      await Promise.all(this.subs.map((sub) => sub.ready));
      const listener = await this.listen(this.options.port);
      this.listener = listener;
      this.bound = toSocketAddress(listener.address());
      if (this.settings.accept === 'shared') {
        await Promise.all(this.subs.map((sub) => (sub as SubReactorProcess).giveServer(listener)));
        this.releaseListener();
      }
    } catch (error) {
      this.closing = true;
      this.listener?.close();
      for (const sub of this.subs) sub.kill();
      await Promise.all(this.subs.map((sub) => sub.exited));
      await this.stopService(0);
      throw error;
    }
  }

  /** Threads in shared-accept mode: each sub-reactor listens itself, with reusePort, on one port. */
  private get ownListeners(): boolean {
    return this.settings.threads && this.settings.accept === 'shared';
  }

  /**
   * The first sub-reactor thread listens on the port asked for (0: the system picks one) and the others join it
   * there, so they all listen on the same port and the kernel spreads connections between them.
   */
  private async openOwnListeners(): Promise<void> {
    const first = this.spawn(0, this.options.port ?? 0);
    try {
      await first.ready;
    } catch (error) {
      throw error instanceof RxloopError && error.code === ErrorCode.UNSUPPORTED
        ? new RxloopError(ErrorCode.UNSUPPORTED,
          `multiReactor({ threads: true, accept: 'shared' }) expected each sub-reactor thread to listen on the same port with reusePort, but ${error.message}. ` +
            "Use accept: 'acceptor' (needs sockets that move to threads), or sub-reactor processes (threads: false)",
          { cause: error })
        : error;
    }
    this.bound = first.address;
    const port = this.sharedPort();
    for (let i = 1; i < this.settings.reactors; i++) this.spawn(i, port);
    await Promise.all(this.subs.map((sub) => sub.ready));
  }

  /** The port every sub-reactor thread of shared-accept mode listens on. */
  private sharedPort(): number {
    const address = this.bound;
    return address?.kind === 'inet' ? address.port : this.options.port ?? 0;
  }

  /**
   * Serves the handler module's `service` export, when it has one, on a Unix socket of this process: the one
   * place that state shared by every sub-reactor can live (a store, a rate limiter), reached from sub-reactors
   * through `multiReactorService()`. A handler module that does not load here is left to the sub-reactors to
   * report.
   */
  private async startService(): Promise<void> {
    let declared: unknown;
    try {
      declared = ((await import(this.handlerModule)) as { service?: unknown }).service;
    } catch {
      return;
    }
    if (declared === undefined) return;
    if (!(declared instanceof URL || (typeof declared === 'string' && (declared.startsWith('file:') || isAbsolute(declared))))) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `multiReactor expected the service export of ${this.handlerModule} to be a URL or an absolute path, got ${describe(declared)}`);
    }
    const handler = await loadHandler(resolveHandlerModule(declared));
    const path = join(tmpdir(), `rxloop-${process.pid}-${++services}.sock`);
    // A socket file left by a crashed process that had our pid would make the listen fail.
    rmSync(path, { force: true });
    const events = new Subject<ServerEvent>();
    events.subscribe((event) => this.events.next(event.type === 'handler-error' ? { ...event, reactor: 'service' } : event));
    // Sub-reactor threads link over shared memory rings (serviceLink); processes, and anyone else, use the socket.
    const links = this.settings.threads ? new Subject<Connection>() : undefined;
    this.service = await startReactorServer({
      handler,
      scheduler: new SingleReactor(),
      options: { path },
      taskRunner: inlineTaskRunner,
      events,
      connections: links,
    });
    this.serviceLinks = links;
    this.servicePath = path;
  }

  /** A sub-reactor thread's new ring link to the service: served like a connection to its socket. */
  private readonly linkService = (transport: RingTransport): void => {
    const links = this.serviceLinks;
    if (links === undefined) {
      transport.abort();
      return;
    }
    links.next(new Connection(transport, defaultBackend()));
  };

  /** Stops the service; a ring link that comes later is reset. */
  private stopService(deadline: number): Promise<void> {
    this.serviceLinks?.complete();
    this.serviceLinks = undefined;
    return this.service?.stop({ deadline }) ?? Promise.resolve();
  }

  private spawn(slot: number, listenPort?: number): SubReactor {
    const { settings, options } = this;
    const max = options.maxConnections ?? Infinity;
    const config: SubReactorConfig = {
        reactor: `sub-${slot}`,
        handlerModule: this.handlerModule,
        // In shared mode nobody sees all connections, so each sub-reactor takes its share of the limit.
        maxConnections: settings.accept === 'shared' && max !== Infinity ? Math.ceil(max / settings.reactors) : null,
        pauseReadingOnWriteBacklog: options.pauseReadingOnWriteBacklog,
        backend: options.backend as SubReactorConfig['backend'],
        servicePath: this.servicePath,
        proxyProtocol: options.proxyProtocol,
        listen: listenPort === undefined ? undefined : { host: options.host, port: listenPort, backlog: options.backlog },
    };
    const onEvent = (event: ServerEvent): void => this.events.next(event);
    const sub = settings.threads
      ? new SubReactorThread(config, onEvent, this.linkService, handOffBackend(options, settings))
      : new SubReactorProcess(config, onEvent);
    this.subs[slot] = sub;
    void sub.exited.then((exit) => this.exited(slot, sub, exit.exitCode, exit.signal));
    return sub;
  }

  private exited(slot: number, sub: SubReactor, exitCode: number | null, signal: string | null): void {
    if (this.closing || this.subs[slot] !== sub) return;
    this.events.next({ type: 'reactor-exit', reactor: sub.reactor, exitCode, signal });
    if (!this.settings.restart) return;
    const strikes = Date.now() - sub.startedAt < 1000 ? (this.strikes[slot] ?? 0) + 1 : 0;
    this.strikes[slot] = strikes;
    // A sub-reactor that keeps dying at start (a handler that throws on load) is retried ever more slowly.
    const delay = strikes <= 1 ? 0 : Math.min(5000, 250 * 2 ** (strikes - 2));
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      this.restarts = this.restarts.then(() => this.replace(slot)).catch(ignore);
    }, delay);
    this.restartTimers.add(timer);
  }

  private async replace(slot: number): Promise<void> {
    if (this.closing) return;
    const sub = this.spawn(slot, this.ownListeners ? this.sharedPort() : undefined);
    try {
      await sub.ready;
    } catch {
      return; // its exit schedules the next try
    }
    if (this.closing) return;
    if (sub instanceof SubReactorProcess && this.settings.accept === 'shared') {
      const server = await this.listeningCopy(sub);
      try {
        if (server === undefined || this.closing) {
          sub.kill();
          return;
        }
        await sub.giveServer(server);
      } finally {
        // A borrowed or new copy only travels through here: keeping it would make this process accept.
        if (server !== undefined && server !== this.listener) server.close();
      }
    }
    this.events.next({ type: 'reactor-restart', reactor: sub.reactor });
    this.dispatchWaiting();
  }

  /**
   * A copy of the listening socket for a new sub-reactor: the main process's own, or one borrowed from a
   * running sub-reactor, or (when every holder died and the socket is gone) a new one on the same address.
   */
  private async listeningCopy(newcomer: SubReactorProcess): Promise<NetServer | undefined> {
    if (this.listener !== undefined) return this.listener;
    for (const sub of this.subs) {
      if (sub === newcomer || !(sub instanceof SubReactorProcess)) continue;
      const borrowed = await sub.borrowServer((server) => this.prepare(server));
      if (borrowed !== undefined) return borrowed;
    }
    // Binding the same port again fails only if another process took it in the gap; the newcomer is then
    // stopped, which shows as its 'reactor-exit', and the next try comes with the crash-loop back-off.
    const address = this.bound;
    return this.listen(address?.kind === 'inet' ? address.port : this.options.port).catch(() => undefined);
  }

  private listen(port: number | undefined): Promise<NetServer> {
    const { host, path, backlog } = this.options;
    const server = createServer();
    this.prepare(server);
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => {
        server.close();
        reject(toRxloopError(error, `listen on ${path ?? `${host ?? 'every interface'}:${String(port)}`}`));
      };
      server.once('error', failed);
      server.listen(path !== undefined ? { path, backlog } : { host, port, backlog }, () => {
        server.off('error', failed);
        resolve(server);
      });
    });
  }

  /** Gives a listening socket in this process the accept settings of rxloop, and hands what it accepts on. */
  private prepare(server: NetServer): void {
    const settings = server as NetServer & { pauseOnConnect: boolean; allowHalfOpen: boolean; noDelay: boolean };
    settings.pauseOnConnect = true;
    settings.allowHalfOpen = true;
    settings.noDelay = true;
    server.on('connection', this.accept);
    server.on('error', ignore);
  }

  /**
   * Closes the main process's copy of the listening socket once every sub-reactor has its own, so that in
   * shared mode the main process accepts nothing (a listening copy here would win most accept races). A Unix
   * socket keeps it: closing the copy that bound the path unlinks the path, and nobody could connect.
   */
  private releaseListener(): void {
    if (this.options.path !== undefined && !this.closing) return;
    this.listener?.close();
    this.listener = undefined;
  }

  private readonly accept = (socket: Socket): void => {
    socket.on('error', ignore);
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.accepted++;
    if (this.settings.accept === 'acceptor' && this.load() >= (this.options.maxConnections ?? Infinity)) {
      socket.destroy();
      return;
    }
    this.dispatch(socket);
  };

  private dispatch(socket: Socket): void {
    if (socket.destroyed) return;
    const sub = this.pick();
    if (sub !== undefined) {
      this.handedOff++;
      sub.handOff(socket);
    } else if (this.waiting.length < MAX_WAITING) {
      this.waiting.push(socket);
    } else {
      socket.destroy();
    }
  }

  private dispatchWaiting(): void {
    while (this.waiting.length > 0 && this.pick() !== undefined) this.dispatch(this.waiting.shift()!);
  }

  /** The next sub-reactor by the balancing rule, or `undefined` when none can take a connection now. */
  private pick(): SubReactor | undefined {
    const subs = this.subs;
    const n = subs.length;
    let best: SubReactor | undefined;
    let bestAt = 0;
    for (let k = 0; k < n; k++) {
      const at = (this.cursor + k) % n;
      const sub = subs[at]!;
      if (!sub.accepting) continue;
      if (this.settings.balance === 'round-robin') {
        best = sub;
        bestAt = at;
        break;
      }
      if (best === undefined || sub.load < best.load) {
        best = sub;
        bestAt = at;
      }
    }
    // Ties in least-connections go round-robin too, so an idle server spreads its first connections.
    if (best !== undefined) this.cursor = (bestAt + 1) % n;
    return best;
  }

  private load(): number {
    let total = this.waiting.length;
    for (const sub of this.subs) if (!sub.hasExited) total += sub.load;
    return total;
  }

  private async snapshot(): Promise<ServerStats> {
    const answers = await Promise.all(this.subs.map((sub) => sub.stats(STATS_TIMEOUT)));
    const reactors: ReactorStats[] = [];
    if (this.settings.accept === 'acceptor') {
      reactors.push({
        reactor: 'acceptor',
        connections: this.waiting.length,
        accepted: this.accepted,
        bytesIn: 0,
        bytesOut: 0,
        events: this.handedOff,
        handlerErrors: 0,
        peerResets: 0,
      });
    }
    answers.forEach((stats, slot) => reactors.push(stats ?? idle(this.subs[slot]!.reactor)));
    return { at: Date.now(), reactors };
  }

  private async shutdown(deadline: number): Promise<void> {
    this.closing = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.restartTimers.clear();
    this.releaseListener();
    for (const socket of this.waiting.splice(0)) socket.destroy();
    for (const sub of this.subs) {
      if (sub.accepting) sub.stop(deadline);
      else sub.kill();
    }
    const killer = setTimeout(() => {
      for (const sub of this.subs) sub.kill();
    }, deadline + EXIT_GRACE);
    await Promise.all(this.subs.map((sub) => sub.exited));
    clearTimeout(killer);
    // Its clients (the sub-reactors) are gone; what is left of their links is closed at once.
    await this.stopService(0);
    this.events.complete();
    this.onStopped();
  }
}

/** Stats for a sub-reactor that is not running (being replaced) or did not answer in time. */
function idle(reactor: string): ReactorStats {
  return { reactor, connections: 0, accepted: 0, bytesIn: 0, bytesOut: 0, events: 0, handlerErrors: 0, peerResets: 0 };
}

function checkOptions(options: ServeOptions, settings: MultiReactorSettings): RxloopError | undefined {
  const problem =
    checkEndpoint('serve', options, true) ??
    checkCount('serve backlog', options.backlog, { min: 1 }) ??
    checkCount('serve maxConnections', options.maxConnections, { min: 1, infinite: true }) ??
    checkCount('serve statsInterval', options.statsInterval, { min: 1 });
  if (problem !== undefined) return problem;
  if (settings.threads && settings.accept === 'shared' && options.path !== undefined) {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `multiReactor({ threads: true, accept: 'shared' }) expected a TCP port (its threads share one with reusePort), got the Unix path ${options.path}: use accept: 'acceptor'`);
  }
  if (options.tls !== undefined) {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `multiReactor (accept: '${settings.accept}') expected a plain TCP or Unix server, got tls options: TLS is not supported by the multi-reactor yet`);
  }
  const backend = options.backend;
  if (backend !== undefined && backend !== 'node' && backend !== 'uring' && backend !== 'auto') {
    return new RxloopError(ErrorCode.INVALID_ARGUMENT,
      `multiReactor expected the backend by name ('node', 'uring' or 'auto': each sub-reactor makes its own), got ${
        typeof backend === 'object' && backend !== null ? `the backend object ${describe((backend as { name?: unknown }).name)}, which cannot travel to another process` : describe(backend)}`);
  }
  return undefined;
}

/**
 * The backend the acceptor (this thread) hands connections over with, as descriptors, to sub-reactor threads
 * whose backend adopts them (uring, on any Node.js line); `undefined` where sockets move as handles instead
 * (the node backend, which needs Node.js 24.20 for that) or the sub-reactors accept for themselves. The named
 * backend resolves here as it will in each thread of this process.
 */
function handOffBackend(options: ServeOptions, settings: MultiReactorSettings): Backend | undefined {
  if (!settings.threads || settings.accept !== 'acceptor' || options.backend === undefined) return undefined;
  const backend = selectBackend(options.backend as BackendChoice);
  const handsOver = backend.detachDescriptor !== undefined && backend.adoptDescriptor !== undefined && backend.closeDescriptor !== undefined;
  return handsOver ? backend : undefined;
}
