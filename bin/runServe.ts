import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { take } from 'rxjs';
import type { SocketAddress } from '../src/backends/Backend.js';
import { multiReactor, pooledReactor, serve, serveAdmin, singleReactor, type AdminServer, type Server, type Topology } from '../schedulers/index.js';
import type { ServeCommand } from './parseServeArgs.js';
import { startTls, type ServeTlsRuntime } from './serveTls.js';

/** Where the CLI writes: stdout for what it is doing, stderr for trouble. @internal */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs `rxloop serve`: starts the example's handler module on the chosen topology, says where it listens,
 * prints stats on SIGUSR2, and stops gracefully on SIGINT or SIGTERM (a second signal exits at once).
 * Resolves with the exit status once the server has stopped (or could not start).
 *
 * ## Example
 * ```ts
 * import { parseServeArgs } from './parseServeArgs.js';
 * import { runServe } from './runServe.js';
 *
 * const command = parseServeArgs(['echo', '--port', '0'], process.env);
 * if (!command.help) process.exitCode = await runServe(command, { out: console.log, err: console.error });
 * ```
 *
 * @internal
 * @param command the checked arguments
 * @param output where to print
 * @returns 0 after a graceful stop, 1 when the server could not start
 */
export async function runServe(command: ServeCommand, output: CliOutput): Promise<number> {
  // Set before `serve`: a multi-reactor's sub-reactor processes inherit the environment and import the
  // handler module themselves.
  if (command.target !== undefined) process.env['RXLOOP_PROXY_TARGET'] = command.target;
  if (command.sendProxy) process.env['RXLOOP_PROXY_SEND_PROXY_V2'] = '1';
  if (command.wiretap) process.env['RXLOOP_WIRETAP'] = '1';

  // dist/bin/rxloop.js -> dist/examples/<name>/handler.js
  const handlerModule = command.module !== undefined
    ? new URL(command.module)
    : new URL(`../examples/${command.example}/handler.js`, import.meta.url);
  if (!existsSync(fileURLToPath(handlerModule))) {
    output.err(command.module !== undefined
      ? `rxloop: the handler module ${fileURLToPath(handlerModule)} does not exist (build it first?)`
      : `rxloop: the ${command.example} example is not built: ${fileURLToPath(handlerModule)} is missing (run npm run build)`);
    return 1;
  }

  const topology = pickTopology(command);
  let server: Server;
  let tls: ServeTlsRuntime | undefined;
  try {
    if (command.tls !== undefined) tls = await startTls(command.tls, output);
    server = await serve(handlerModule, {
      host: command.host,
      port: command.port,
      scheduler: topology,
      backend: command.backend,
      ...(command.proxyProtocol ? { proxyProtocol: { trusted: command.proxyTrusted } } : {}),
      ...(tls === undefined ? {} : { tls: tls.options }),
    });
  } catch (error) {
    tls?.close();
    output.err(`rxloop: could not start the ${command.module !== undefined ? fileURLToPath(handlerModule) : command.example} server: ${(error as Error).message ?? String(error)}`);
    return 1;
  }

  let admin: AdminServer | undefined;
  if (command.admin !== undefined) {
    try {
      admin = await serveAdmin(server, command.admin);
    } catch (error) {
      output.err(`rxloop: could not start the admin endpoint on ${command.admin.host}:${command.admin.port}: ${(error as Error).message}`);
      await server.stop({ deadline: 0 });
      tls?.close();
      return 1;
    }
  }

  const forwarding = command.example === 'proxy' ? ` -> ${command.target}` : '';
  const served = command.module !== undefined ? fileURLToPath(handlerModule) : command.example;
  output.out(`rxloop ${served} listening on ${where(server.address)}${forwarding} (${describe(topology)}${tls === undefined ? '' : ', TLS'})`);
  if (admin !== undefined) output.out(`rxloop admin on http://${where(admin.address)}/ (metrics at /metrics, health at /healthz and /readyz)`);
  const events = server.events$.subscribe((event) => {
    if (event.type === 'handler-error') output.err(`rxloop: ${event.reactor}: handler error ${event.code}: ${event.message}`);
    else if (event.type === 'worker-exit') output.err(`rxloop: ${event.reactor}: worker exited: ${event.message}`);
    else if (event.type === 'reactor-exit') {
      output.err(`rxloop: ${event.reactor} exited (code ${event.exitCode}, signal ${event.signal})`);
    } else output.err(`rxloop: ${event.reactor} restarted`);
  });

  const printStats = (): void => {
    server.stats$.pipe(take(1)).subscribe((stats) => {
      for (const r of stats.reactors) {
        const tasks = r.tasksInFlight === undefined ? '' : `, ${r.tasksInFlight} tasks in flight`;
        output.out(`rxloop stats ${r.reactor}: ${r.connections} open, ${r.accepted} accepted, ${r.bytesIn} B in, ` +
          `${r.bytesOut} B out, ${r.events} events, ${r.handlerErrors} handler errors, ${r.peerResets} peer resets${tasks}`);
      }
    });
  };
  process.on('SIGUSR2', printStats);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const forceExit = (): void => {
    output.err('rxloop: second signal, exiting without waiting');
    process.exit(1);
  };
  process.once('SIGINT', forceExit);
  process.once('SIGTERM', forceExit);
  // The order a balancer needs: readiness fails first (it stops sending new clients), accepting stops after the
  // drain delay, then every connection is told to drain, and what is left at the deadline is reset.
  admin?.drain();
  if (command.drainDelay > 0) {
    output.out(`rxloop: ${signal}, not ready; still accepting for ${command.drainDelay} ms`);
    await new Promise((resolve) => setTimeout(resolve, command.drainDelay));
  }
  output.out(`rxloop: ${signal}, stopping (waiting up to ${command.deadline} ms for open connections)`);
  await server.stop({ deadline: command.deadline });
  process.off('SIGUSR2', printStats);
  events.unsubscribe();
  await admin?.close();
  tls?.close();
  output.out('rxloop: stopped');
  return 0;
}

function pickTopology(command: ServeCommand): Topology {
  if (command.scheduler === 'pooled') {
    return pooledReactor(command.workers === undefined ? {} : { workers: command.workers });
  }
  if (command.scheduler === 'multi') {
    return multiReactor({
      ...(command.reactors === undefined ? {} : { reactors: command.reactors }),
      ...(command.accept === undefined ? {} : { accept: command.accept }),
      ...(command.threads ? { threads: true } : {}),
    });
  }
  return singleReactor();
}

function describe(topology: Topology): string {
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (topology.kind === 'pooled') {
    return `pooled reactor, ${plural((topology as ReturnType<typeof pooledReactor>).workers, 'worker thread')}`;
  }
  if (topology.kind === 'multi') {
    const { reactors, accept, threads } = (topology as ReturnType<typeof multiReactor>).settings;
    return `multi-reactor, ${plural(reactors, threads ? 'sub-reactor thread' : 'sub-reactor')}, ${accept} accept`;
  }
  return 'single reactor';
}

function where(address: SocketAddress): string {
  if (address.kind === 'unix') return address.path;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
