import { channel } from 'node:diagnostics_channel';
import type { SocketAddress } from '../backends/Backend.js';
import type { Connection } from '../Connection.js';
import type { RxloopError } from '../errors.js';

/**
 * The messages rxloop publishes on `node:diagnostics_channel`, by channel name. Every channel is created once,
 * when rxloop loads, and a message is built only while the channel has subscribers, so observing costs nothing
 * when nobody observes (the pattern of undici's diagnostics). Messages name the live objects: read what you
 * need in the subscriber, do not keep them.
 *
 * | channel | when |
 * |---|---|
 * | `rxloop:connection:open` | a `Connection` was created (accepted or connected) |
 * | `rxloop:connection:close` | it closed for good (`error` when not in order) |
 * | `rxloop:server:reject` | `listen` closed an accepted connection at once (`maxConnections`, or draining) |
 * | `rxloop:server:accept-error` | an accept failed and the server went on (EMFILE, ...) |
 * | `rxloop:handler:start` | a topology started a handler for a connection, on a reactor |
 * | `rxloop:handler:error` | a handler's pipeline failed; only its connection was closed |
 * | `rxloop:tls:handshake` | a TLS handshake with a client of `listen` completed |
 * | `rxloop:tls:handshake-error` | a TLS handshake failed or timed out; only that connection was lost |
 * | `rxloop:proxy:header` | a PROXY protocol header was decoded for a connection |
 * | `rxloop:proxy:reject` | a connection was closed for a missing, malformed or untrusted PROXY header |
 *
 * ## Example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import type { DiagnosticsMessages } from 'rxloop';
 *
 * // Log every connection that did not close in order, with the peer's address.
 * subscribe('rxloop:connection:close', (message) => {
 *   const { connection, error } = message as DiagnosticsMessages['rxloop:connection:close'];
 *   if (error !== undefined) console.warn(connection.id, connection.remoteAddress, error.code);
 * });
 * ```
 */
export interface DiagnosticsMessages {
  readonly 'rxloop:connection:open': { readonly connection: Connection };
  readonly 'rxloop:connection:close': { readonly connection: Connection; readonly error: RxloopError | undefined };
  readonly 'rxloop:server:reject': { readonly reason: 'max-connections' | 'draining' };
  readonly 'rxloop:server:accept-error': { readonly error: RxloopError };
  readonly 'rxloop:handler:start': { readonly reactor: string; readonly connection: Connection };
  readonly 'rxloop:handler:error': {
    readonly reactor: string;
    readonly connection: Connection;
    readonly code: string;
    readonly message: string;
  };
  readonly 'rxloop:tls:handshake': { readonly remoteAddress: SocketAddress | undefined };
  readonly 'rxloop:tls:handshake-error': { readonly error: RxloopError; readonly remoteAddress: SocketAddress | undefined };
  readonly 'rxloop:proxy:header': {
    readonly connection: Connection;
    readonly version: 1 | 2;
    readonly command: 'proxy' | 'local';
  };
  readonly 'rxloop:proxy:reject': { readonly connection: Connection; readonly error: RxloopError };
}

/** A channel whose `publish` takes the message of its name. @internal */
export interface TypedChannel<M> {
  readonly hasSubscribers: boolean;
  publish(message: M): void;
}

function typed<N extends keyof DiagnosticsMessages>(name: N): TypedChannel<DiagnosticsMessages[N]> {
  return channel(name) as TypedChannel<DiagnosticsMessages[N]>;
}

/**
 * The channels, created at load. Publish as `if (c.hasSubscribers) c.publish(...)`, so that nothing is built
 * while nobody listens.
 *
 * @internal
 */
export const diagnostics = {
  connectionOpen: typed('rxloop:connection:open'),
  connectionClose: typed('rxloop:connection:close'),
  serverReject: typed('rxloop:server:reject'),
  acceptError: typed('rxloop:server:accept-error'),
  handlerStart: typed('rxloop:handler:start'),
  handlerError: typed('rxloop:handler:error'),
  tlsHandshake: typed('rxloop:tls:handshake'),
  tlsHandshakeError: typed('rxloop:tls:handshake-error'),
  proxyHeader: typed('rxloop:proxy:header'),
  proxyReject: typed('rxloop:proxy:reject'),
} as const;
