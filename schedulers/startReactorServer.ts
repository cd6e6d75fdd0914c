import { Observable, Subject, fromEvent, interval, map, merge, startWith, takeUntil } from 'rxjs';
import type { Connection } from '../src/Connection.js';
import type { SocketAddress } from '../src/backends/Backend.js';
import type { TaskRunner } from '../src/HandlerContext.js';
import { selectBackend } from '../src/backends/selectBackend.js';
import { listen } from '../src/listen.js';
import type { Handler } from '../operators/handle.js';
import { HandlerHost } from './HandlerHost.js';
import type { ReactorScheduler } from './ReactorScheduler.js';
import type { ReactorStats, ServeOptions, Server, ServerEvent, ServerStats } from './Topology.js';

/** What a one-process topology (single or pooled) needs to run. @internal */
export interface ReactorServerSpec {
  readonly handler: Handler;
  readonly scheduler: ReactorScheduler;
  readonly options: ServeOptions;
  readonly taskRunner?: TaskRunner;
  /** Extra per-reactor counters (a pool's tasks in flight). */
  readonly extraStats?: () => Partial<ReactorStats>;
  /** Called once the server has stopped (to close a pool). */
  readonly onStopped?: () => Promise<void>;
  /** A place to feed events from the topology (worker exits). */
  readonly events?: Subject<ServerEvent>;
  /** Connections that come another way than the listening socket (a service's ring links), served alike until stop. */
  readonly connections?: Observable<Connection>;
}

/**
 * Listens and runs a handler on this process's loop: the body of `singleReactor` and `pooledReactor`, and of
 * each `multiReactor` sub-reactor in shared-accept mode.
 *
 * @internal
 */
export function startReactorServer(spec: ReactorServerSpec): Promise<Server> {
  const { options } = spec;
  const events = spec.events ?? new Subject<ServerEvent>();
  const host = new HandlerHost({
    reactor: 'main',
    handler: spec.handler,
    scheduler: spec.scheduler,
    taskRunner: spec.taskRunner,
    bytesPerTurn: undefined,
    onEvent: (event) => events.next(event),
    proxyProtocol: options.proxyProtocol,
  });
  const shutdown = new AbortController();
  const snapshot = (): ServerStats => ({ at: Date.now(), reactors: [host.stats(spec.extraStats?.() ?? {})] });
  const statsInterval = options.statsInterval ?? 1000;
  const stats$: Observable<ServerStats> = interval(statsInterval).pipe(startWith(0), map(snapshot));

  return new Promise<Server>((resolve, reject) => {
    let listening = false;
    let stopped: Promise<void> | undefined;
    let resolveStopped: () => void = () => undefined;
    const finished = new Promise<void>((done) => {
      resolveStopped = done;
    });
    // A name resolves here, in the thread that serves (a sub-reactor thread gets a backend of its own).
    const backend = options.backend === undefined ? undefined : selectBackend(options.backend);
    const listened = listen({ ...options, backend, shutdown: shutdown.signal, gracePeriod: Infinity, onListening: (info) => {
      listening = true;
      resolve(server(info.address));
    } });
    const others = spec.connections;
    const running = host
      .serve(others === undefined ? listened : merge(listened, others.pipe(takeUntil(fromEvent(shutdown.signal, 'abort')))))
      .subscribe({
        error: (error) => {
          if (!listening) reject(error);
          resolveStopped();
        },
        complete: () => resolveStopped(),
      });

    const server = (address: SocketAddress): Server => ({
      address,
      port: address.kind === 'inet' ? address.port : undefined,
      stats$,
      events$: events.asObservable(),
      stop: ({ deadline = 5000 } = {}) => {
        stopped ??= (async () => {
          // Stop accepting and drain every connection; resolve once every one of them has closed.
          shutdown.abort();
          host.drain();
          const timers = [
            // The deadline cuts off what is left with resets (a FIN would look like a complete reply)...
            setTimeout(() => host.cutOff(), deadline),
            // ... and a handler that still has not finished by then is unsubscribed.
            setTimeout(() => {
              running.unsubscribe();
              resolveStopped();
            }, deadline + 1000),
          ];
          await finished;
          for (const timer of timers) clearTimeout(timer);
          running.unsubscribe();
          await spec.onStopped?.();
          events.complete();
        })();
        return stopped;
      },
    });
  });
}
