import { Observable, Subscriber } from 'rxjs';
import type { DatagramTransport, SocketAddress } from './backends/Backend.js';
import { ErrorCode, RxloopError } from './errors.js';
import { invalid } from './validate.js';

/**
 * One received datagram and who sent it.
 *
 * ## Example
 * ```ts
 * import type { Datagram } from 'rxloop';
 *
 * function show(d: Datagram): string {
 *   return d.from.kind === 'inet' ? `${d.data.length} bytes from ${d.from.address}:${d.from.port}` : '';
 * }
 * ```
 */
export interface Datagram {
  /** The payload; the receiver's to keep. */
  readonly data: Buffer;
  /** The sender. */
  readonly from: SocketAddress;
}

/**
 * A bound UDP socket, emitted by `bind`: {@link DatagramSocket.datagrams$} for what arrives,
 * {@link DatagramSocket.send} for what leaves.
 *
 * ## Example
 * ```ts
 * import { bind } from 'rxloop';
 * import { mergeMap } from 'rxjs';
 *
 * // A UDP echo server.
 * bind({ port: 0, address: '127.0.0.1' }).pipe(
 *   mergeMap((socket) => socket.datagrams$.pipe(
 *     mergeMap(({ data, from }) => from.kind === 'inet' ? socket.send(data, from.port, from.address) : []),
 *   )),
 * ).subscribe();
 * ```
 */
export class DatagramSocket {
  /**
   * The datagrams that arrive while someone is subscribed (UDP does not queue for latecomers: a datagram with
   * no subscriber is dropped, as the network may drop it anyway). Completes when the socket closes.
   */
  readonly datagrams$: Observable<Datagram>;
  private readonly transport: DatagramTransport;
  private readonly subscribers: Subscriber<Datagram>[] = [];
  private closed = false;

  /**
   * Wraps a backend datagram transport; applications get sockets from `bind`.
   *
   * @param transport the backend's datagram socket
   */
  constructor(transport: DatagramTransport) {
    this.transport = transport;
    this.datagrams$ = new Observable<Datagram>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return;
      }
      this.subscribers.push(subscriber);
      return () => {
        const index = this.subscribers.indexOf(subscriber);
        if (index !== -1) this.subscribers.splice(index, 1);
      };
    });
  }

  /** Where the socket is bound. */
  get address(): SocketAddress | undefined {
    return this.transport.address;
  }

  /**
   * Sends one datagram. The returned Observable sends on subscribe, emits nothing, and completes once the
   * datagram was handed to the operating system (UDP promises no delivery) or errors with a coded error.
   *
   * ## Example
   * ```ts
   * import { bind } from 'rxloop';
   * import { mergeMap } from 'rxjs';
   *
   * bind({ port: 0, address: '127.0.0.1' })
   *   .pipe(mergeMap((socket) => socket.send(Buffer.from('ping'), 9999, '127.0.0.1')))
   *   .subscribe({ complete: () => console.log('sent') });
   * ```
   *
   * @param data the payload
   * @param port the destination port
   * @param address the destination address (default `'127.0.0.1'`)
   * @returns an Observable that completes once sent
   */
  send(data: Uint8Array | string, port: number, address = '127.0.0.1'): Observable<never> {
    return new Observable<never>((subscriber) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        subscriber.error(invalid('send port', 'an integer from 1 to 65535', port));
        return;
      }
      if (this.closed) {
        subscriber.error(new RxloopError(ErrorCode.SOCKET_CLOSED, 'send expected a bound socket, but it is closed'));
        return;
      }
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      this.transport.send(bytes, port, address, (error) => {
        if (error !== undefined) subscriber.error(error);
        else subscriber.complete();
      });
    });
  }

  /**
   * Closes the socket; {@link DatagramSocket.datagrams$} completes.
   *
   * ## Example
   * ```ts
   * import { bind } from 'rxloop';
   *
   * bind({ port: 0 }).subscribe((socket) => socket.close());
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.transport.close();
  }

  /** @internal */
  deliver(datagram: Datagram): void {
    for (const subscriber of this.subscribers.slice()) subscriber.next(datagram);
  }

  /** @internal */
  finish(error: RxloopError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscriber of this.subscribers.splice(0)) {
      if (error !== undefined) subscriber.error(error);
      else subscriber.complete();
    }
  }
}
