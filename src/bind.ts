import { Observable } from 'rxjs';
import type { Backend } from './backends/Backend.js';
import { defaultBackend } from './backends/defaultBackend.js';
import { DatagramSocket } from './DatagramSocket.js';
import type { RxloopError } from './errors.js';
import { checkCount, invalid } from './validate.js';

/**
 * Options for {@link bind}.
 *
 * ## Example
 * ```ts
 * import { bind, type BindOptions } from 'rxloop';
 *
 * const options: BindOptions = { type: 'udp6', address: '::1', port: 0 };
 * bind(options).subscribe((socket) => console.log('bound at', socket.address));
 * ```
 */
export interface BindOptions {
  /** `'udp4'` (default) or `'udp6'`. */
  readonly type?: 'udp4' | 'udp6';
  /** The local port; 0 or absent lets the operating system choose. */
  readonly port?: number;
  /** The local address (default: all interfaces). */
  readonly address?: string;
  /** Allow other sockets to bind the same address (SO_REUSEADDR). */
  readonly reuseAddr?: boolean;
  /** The event source (default: the shared `node` backend). */
  readonly backend?: Backend;
}

/**
 * A UDP socket as an Observable: subscribing binds; the {@link DatagramSocket} is emitted once bound; the
 * Observable completes when the socket closes and errors when it fails. Unsubscribing unbinds.
 *
 * ## Example
 * ```ts
 * import { bind } from 'rxloop';
 * import { mergeMap } from 'rxjs';
 *
 * bind({ port: 5353, address: '127.0.0.1' })
 *   .pipe(mergeMap((socket) => socket.datagrams$))
 *   .subscribe(({ data, from }) => console.log(data.toString(), from));
 * ```
 *
 * @param options where to bind
 * @returns an Observable of the one bound socket
 */
export function bind(options: BindOptions = {}): Observable<DatagramSocket> {
  return new Observable<DatagramSocket>((subscriber) => {
    const type = options.type ?? 'udp4';
    const problem =
      (type !== 'udp4' && type !== 'udp6' ? invalid('bind type', "'udp4' or 'udp6'", type) : undefined) ??
      checkCount('bind port', options.port) ??
      ((options.port ?? 0) > 65535 ? invalid('bind port', 'an integer from 0 to 65535', options.port) : undefined);
    if (problem !== undefined) {
      subscriber.error(problem);
      return;
    }
    const backend = options.backend ?? defaultBackend();
    let socket: DatagramSocket | undefined;
    let failure: RxloopError | undefined;
    let boundEarly = false;
    const transport = backend.bind(
      { type, port: options.port, address: options.address, reuseAddr: options.reuseAddr },
      {
        listening: () => {
          if (socket !== undefined) subscriber.next(socket);
          else boundEarly = true;
        },
        received: (data, from) => socket?.deliver({ data, from }),
        failed: (error) => {
          failure = error;
        },
        closed: () => {
          socket?.finish(failure);
          if (failure !== undefined) subscriber.error(failure);
          else subscriber.complete();
        },
      },
    );
    socket = new DatagramSocket(transport);
    if (boundEarly) subscriber.next(socket);
    return () => socket?.close();
  });
}
