import { map, type Observable, type OperatorFunction } from 'rxjs';
import type { SocketAddress } from '../../src/backends/Backend.js';
import type { Connection } from '../../src/Connection.js';
import type { RxloopError } from '../../src/errors.js';
import { idleTimeout } from '../../operators/idleTimeout.js';
import { offload } from '../../operators/offload.js';
import { sendTo } from '../../operators/sendTo.js';
import { multiReactorService } from '../../schedulers/multiReactor.js';
import { digestReplies } from './digestReplies.js';
import type { DigestWork } from './digestTask.js';
import { KeyspaceLink } from './KeyspaceLink.js';
import { processState } from './processState.js';
import { RespSession } from './RespSession.js';
import { RespWriter } from './RespWriter.js';
import { DIGEST_HOLD_COUNT, REPLY_BUDGET, sessionReplies } from './sessionReplies.js';

/**
 * The keyspace service for `multiReactor`: its main process serves this module and the sub-reactors forward
 * every connection's bytes to it, so all of them share one keyspace (see `keyspaceService`). `singleReactor`
 * and `pooledReactor` ignore it: there the connections share {@link processState} directly.
 *
 * ## Example
 * ```ts
 * import { multiReactor, serve } from 'rxloop/schedulers';
 *
 * // Nothing to pass: multiReactor finds the export and starts the service before the sub-reactors.
 * await serve(new URL('./handler.js', import.meta.url), { port: 6380, scheduler: multiReactor({ reactors: 2 }) });
 * ```
 */
export const service = new URL('./keyspaceService.js', import.meta.url);

/** Set inside a multi-reactor's sub-reactor: where the keyspace service listens. */
const servicePath = multiReactorService();
const digestTask = new URL('./digestTask.js', import.meta.url);
/** One reply writer for every session of this process (see RespSessionOptions.writer). */
const writer = new RespWriter();

/**
 * The RESP server's handler module, for `serve` under any topology and for the `rxloop` CLI:
 * `connection.data$` → the replies to each read as one buffer → `sendTo(connection)` (one write per read),
 * closing after the last reply once the session is over (QUIT, a protocol error, the end of input). With the
 * keyspace in this process that is one stage ({@link sessionReplies}) between the input and the writer.
 *
 * - **One keyspace**: under `singleReactor` and `pooledReactor` every connection runs its session on the
 *   process's keyspace; under `multiReactor` each sub-reactor forwards its connections' bytes over one link
 *   (the Unix socket from a process, shared memory rings from a thread) to the keyspace service in the main
 *   process, which runs the sessions ({@link service}). Either way
 *   a key written through one connection is read through any other, and each connection's replies come in
 *   request order.
 * - **DIGEST off the reactor**: the value is read where the keyspace is, in order with the other commands;
 *   only the hashing is `offload`ed (`digestTask`): to the worker pool under `pooledReactor`, inline
 *   elsewhere (in a sub-reactor, not in the keyspace service). Replies behind a DIGEST wait for it.
 * - **Idle connections are closed** after `RXLOOP_RESP_IDLE_TIMEOUT` milliseconds without traffic (default
 *   300000, like a Redis `timeout 300`; `0` turns it off), which also cuts off a slowloris that trickles a
 *   command and then stalls.
 *
 * ## Example
 * ```ts
 * import { multiReactor, serve } from 'rxloop/schedulers';
 *
 * const server = await serve(new URL('./handler.js', import.meta.url), {
 *   host: '127.0.0.1',
 *   port: 6380,
 *   scheduler: multiReactor({ reactors: 4 }),
 * });
 * // redis-cli -p 6380 set greeting hello; redis-benchmark -p 6380 -P 16 -q
 * ```
 *
 * @param connection the accepted connection
 * @returns the pipeline that serves it
 */
export default function respHandler(connection: Connection): Observable<never> {
  // Under singleReactor and pooledReactor a read without DIGEST passes one stage between data$ and the writer.
  const served =
    servicePath === undefined
      ? connection.data$.pipe(
          sessionReplies(
            new RespSession(processState, {
              writer,
              deferDigest: true,
              outputBudget: REPLY_BUDGET,
              addr: () => clientAddress(connection.remoteAddress),
              laddr: () => clientAddress(connection.localAddress),
            }),
            hashDigests(),
            { connection },
          ),
          sendTo(connection),
        )
      : connection.data$.pipe(
          KeyspaceLink.to(servicePath).forward(
            connection,
            () => `${clientAddress(connection.remoteAddress)}\n${clientAddress(connection.localAddress)}`,
          ),
          digestReplies(hashDigests(), { connection }),
          sendTo(connection),
        );
  const idleMs = Number(process.env['RXLOOP_RESP_IDLE_TIMEOUT'] ?? 300_000);
  // idleTimeout reads the connection's byte counters, not the values: after sendTo it is off the read path.
  return idleMs > 0 ? served.pipe(idleTimeout(connection, idleMs, { action: 'close' })) : served;
}

/** An address as Redis's CLIENT LIST writes it: `ip:port`, `[ipv6]:port`, or a Unix path with `:0`. */
function clientAddress(address: SocketAddress | undefined): string {
  if (address === undefined) return '';
  if (address.kind === 'unix') return `${address.path}:0`;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

/**
 * DIGEST's hashing through `offload`, as the reply bytes; a failed task answers that DIGEST with an error. At most
 * DIGEST_HOLD_COUNT of a connection's DIGESTs hash at once (offload then holds the connection's reading too).
 */
function hashDigests(): OperatorFunction<DigestWork, Buffer> {
  const hash = offload<DigestWork, string | RxloopError>(digestTask, { concurrency: DIGEST_HOLD_COUNT, onError: (error) => error });
  return (source) =>
    source.pipe(
      hash,
      map((hex) =>
        Buffer.from(typeof hex === 'string' ? `$${hex.length}\r\n${hex}\r\n` : `-ERR DIGEST failed: ${hex.code}\r\n`, 'latin1'),
      ),
    );
}
