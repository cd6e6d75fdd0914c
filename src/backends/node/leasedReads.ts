/**
 * The feature-checked private path that lets Node 20 read straight into leased buffers.
 *
 * Node 20 offers `onread` (reads into a caller's buffer) only through the `net.Socket` constructor, and sockets a
 * server accepts never get it. Internally `onread` is three symbol-keyed fields on the socket (`kBuffer`,
 * `kBufferCb`, `kBufferGen`) plus `handle.useUserBuffer(buffer)`. `onStreamRead` in
 * `lib/internal/stream_base_commons.js` calls `kBufferCb(nread, kBuffer)`, then `kBufferGen()`; a Uint8Array it
 * returns becomes the next read buffer, anything else leaves the old one in use (so a buffer already handed to the
 * reader would be overwritten by the next read). We find the symbols on a probe socket built through the public
 * constructor, so no private name is spelled out, and use them only when the probe shows exactly that shape.
 *
 * @packageDocumentation
 */
import { Socket } from 'node:net';

/** The one handle method the private path needs. */
interface UserBufferHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

/**
 * Installs and re-targets zero-copy reads on a socket through Node's internal `onread` fields.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * // The backend installs these hooks in 'leased' read mode when `features.zeroCopyLeasedReads` is true.
 * nodeBackend().connect({ port: 6379, host: '127.0.0.1' }, {
 *   connected: (transport) => console.log(transport.features.zeroCopyLeasedReads),
 *   failed: (error) => console.error(error.code),
 * });
 * ```
 *
 * @internal
 */
export interface LeasedReadHooks {
  /** Whether `socket` has a stream handle that can read into a user buffer (TCP and Unix sockets do). */
  supports(socket: Socket): boolean;
  /**
   * Makes the socket read into `buffer`. After each read `onRead(nread, buffer)` runs, called on the socket
   * (`this` is the socket, so one function can serve every socket; returning `false` stops reading), then
   * `nextBuffer()` when given: a Buffer it returns becomes the next read target, `undefined` keeps the old one.
   * Call it once per socket, while the socket is not reading: there is no way back (the handle reads into user
   * buffers until it closes).
   */
  install(
    socket: Socket,
    buffer: Buffer,
    onRead: (this: Socket, nread: number, buffer: Buffer) => boolean,
    nextBuffer: (() => Buffer | undefined) | null,
  ): void;
  /** Sets or clears the `nextBuffer` of an installed socket (what `install` took). */
  setNextBuffer(socket: Socket, nextBuffer: (() => Buffer | undefined) | null): void;
  /**
   * Points an installed socket at another read buffer. Never from inside `onRead` (return the buffer from
   * `nextBuffer` there); each call stacks a small listener on the handle until it closes, so keep it for rare
   * events such as a mode switch.
   */
  retarget(socket: Socket, buffer: Buffer): void;
}

let probed: LeasedReadHooks | null | undefined;

/**
 * The zero-copy read hooks, or `undefined` when this Node does not have the internal shape they rely on. The probe
 * runs once per process.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * // `zeroCopyLeasedReads: false` stays on the public (copying) path even where the hooks exist.
 * const backend = nodeBackend({ zeroCopyLeasedReads: false });
 * ```
 *
 * @internal
 * @returns the hooks, or `undefined` when the feature check failed
 */
export function leasedReads(): LeasedReadHooks | undefined {
  if (probed === undefined) probed = probe();
  return probed ?? undefined;
}

function probe(): LeasedReadHooks | null {
  const buffer = (): Buffer => Buffer.alloc(1);
  const callback = (): boolean => true;
  let socket: Socket | undefined;
  try {
    socket = new Socket({ onread: { buffer, callback } });
    const fields = socket as unknown as Record<symbol, unknown>;
    const symbols = Object.getOwnPropertySymbols(socket);
    const named = (description: string): symbol | undefined => {
      const found = symbols.filter((symbol) => symbol.description === description);
      return found.length === 1 ? found[0] : undefined;
    };
    const kBuffer = named('kBuffer');
    const kBufferCb = named('kBufferCb');
    const kBufferGen = named('kBufferGen');
    if (kBuffer === undefined || kBufferCb === undefined || kBufferGen === undefined) return null;
    // A buffer function is stored as kBuffer = true plus kBufferGen; any other shape is one we have not read.
    if (fields[kBuffer] !== true || fields[kBufferCb] !== callback || fields[kBufferGen] !== buffer) return null;
    return createHooks(kBuffer, kBufferCb, kBufferGen);
  } catch {
    return null;
  } finally {
    socket?.destroy();
  }
}

function handleOf(socket: Socket): UserBufferHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<UserBufferHandle> | null })._handle;
  return handle !== null && handle !== undefined && typeof handle.useUserBuffer === 'function'
    ? (handle as UserBufferHandle)
    : undefined;
}

function createHooks(kBuffer: symbol, kBufferCb: symbol, kBufferGen: symbol): LeasedReadHooks {
  return {
    supports: (socket) => handleOf(socket) !== undefined,
    install(socket, buffer, onRead, nextBuffer) {
      const handle = handleOf(socket);
      if (handle === undefined) throw new TypeError('expected a socket with a stream handle, got none');
      const fields = socket as unknown as Record<symbol, unknown>;
      fields[kBufferCb] = onRead;
      fields[kBufferGen] = nextBuffer;
      fields[kBuffer] = buffer;
      handle.useUserBuffer(buffer);
    },
    setNextBuffer(socket, nextBuffer) {
      (socket as unknown as Record<symbol, unknown>)[kBufferGen] = nextBuffer;
    },
    retarget(socket, buffer) {
      const handle = handleOf(socket);
      if (handle === undefined) return;
      (socket as unknown as Record<symbol, unknown>)[kBuffer] = buffer;
      handle.useUserBuffer(buffer);
    },
  };
}
