import { constants } from 'node:buffer';
import type { OperatorFunction } from 'rxjs';
import { lengthPrefixed } from '../../operators/lengthPrefixed.js';


/**
 * The framing of the link between a `multiReactor` sub-reactor and the keyspace service in the main process:
 * one Unix socket per sub-reactor carries the raw RESP bytes of all its connections, each frame tagged with the
 * connection's session number. A frame is a 16-byte header (payload length, session, kind, argument; big-endian
 * u32s) and the payload.
 *
 * Sub-reactor to service: `OPEN` (a connection arrived; the payload is its address and the server's end, as
 * CLIENT LIST shows them, separated by a newline; sent with its first bytes), `DATA` (a chunk it read, as read),
 * `FIN` (its input ended: answer what came before, then close it), `DROP` (it is gone: forget it).
 *
 * Service to sub-reactor, for each `DATA` in order: any number of `PART` (replies) and `DIGEST` (a DIGEST's work:
 * the value as payload, the rounds as argument; the sub-reactor hashes it), then one `DONE` (the last replies,
 * possibly none; the argument is the `DATA` payload's length, so the sub-reactor knows what is still
 * unanswered); `PUSH` at any time (a message published to the session's channels, as complete reply bytes); and
 * `CLOSE` once the session is over (after a QUIT, a protocol error or a `FIN`).
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { LinkFrame } from './LinkFrame.js';
 *
 * const payload = Buffer.from('PING\r\n');
 * of(Buffer.concat([LinkFrame.header(7, LinkFrame.DATA, 0, payload.length), payload]))
 *   .pipe(LinkFrame.decode())
 *   .subscribe((frames) => {
 *     for (const frame of frames) console.log(LinkFrame.session(frame), LinkFrame.kind(frame), String(LinkFrame.payload(frame)));
 *   }); // 7 2 'PING\r\n'
 * ```
 */
export class LinkFrame {
  /** Bytes of a frame header: payload length, session, kind, argument (each a big-endian u32). */
  static readonly HEADER = 16;
  /** Sub-reactor to service: a new session. */
  static readonly OPEN = 1;
  /** Sub-reactor to service: bytes the connection read. */
  static readonly DATA = 2;
  /** Sub-reactor to service: the connection's input ended. */
  static readonly FIN = 3;
  /** Sub-reactor to service: the connection is gone. */
  static readonly DROP = 4;
  /** Service to sub-reactor: replies, more to come for the same `DATA`. */
  static readonly PART = 5;
  /** Service to sub-reactor: a DIGEST to hash (payload: the value; argument: the rounds). */
  static readonly DIGEST = 6;
  /** Service to sub-reactor: the last replies to one `DATA` (argument: that `DATA`'s length). */
  static readonly DONE = 7;
  /** Service to sub-reactor: the session is over; close the connection after its replies. */
  static readonly CLOSE = 8;
  /** Service to sub-reactor: a message for a subscriber (payload: its frame), in order with the replies. */
  static readonly PUSH = 9;
  /**
   * Service to sub-reactor: the replies so far to a `DATA` are out (as `PART`s and `DIGEST`s) and the session
   * waits for `MORE` before it runs the rest (its output budget is spent, or DIGESTs are pending).
   */
  static readonly HELD = 10;
  /** Sub-reactor to service: the connection can take more; run the rest of the `HELD` session's input. */
  static readonly MORE = 11;

  private constructor() {}

  /**
   * A frame header (the payload is written after it, as a separate buffer).
   *
   * @param session the session number
   * @param kind one of the kinds above
   * @param arg the kind's argument, or 0
   * @param length the payload's length in bytes
   * @returns 16 bytes
   */
  static header(session: number, kind: number, arg: number, length: number): Buffer {
    const header = Buffer.allocUnsafe(LinkFrame.HEADER);
    LinkFrame.writeHeader(header, session, kind, arg, length);
    return header;
  }

  /**
   * Writes a frame header at the start of `target` (a scratch buffer, or the first 16 bytes of a reply batch
   * that began with a placeholder header).
   *
   * @param target where to write; at least 16 bytes
   * @param session the session number
   * @param kind one of the kinds above
   * @param arg the kind's argument, or 0
   * @param length the payload's length in bytes
   */
  static writeHeader(target: Buffer, session: number, kind: number, arg: number, length: number): void {
    target.writeUInt32BE(length, 0);
    target.writeUInt32BE(session, 4);
    target.writeUInt32BE(kind, 8);
    target.writeUInt32BE(arg, 12);
  }

  /**
   * Splits the link's bytes into frames: one array per read, each frame a view of the read (header included).
   *
   * @returns an operator from chunks to the frames each chunk completed
   */
  static decode(): OperatorFunction<Buffer, Buffer[]> {
    return lengthPrefixed({
      lengthBytes: 4,
      adjust: LinkFrame.HEADER - 4,
      strip: false,
      batch: true,
      copy: false,
      maxLength: constants.MAX_LENGTH - LinkFrame.HEADER,
    });
  }

  /** The session number of a decoded frame. */
  static session(frame: Buffer): number {
    return frame.readUInt32BE(4);
  }

  /** The kind of a decoded frame. */
  static kind(frame: Buffer): number {
    return frame.readUInt32BE(8);
  }

  /** The argument of a decoded frame. */
  static arg(frame: Buffer): number {
    return frame.readUInt32BE(12);
  }

  /** The payload of a decoded frame (a view). */
  static payload(frame: Buffer): Buffer {
    return frame.subarray(LinkFrame.HEADER);
  }
}
