import type { HttpDate } from './HttpDate.js';
import { assertHeaderValue, assertStatus, formatHead, formatHeaderLines } from './httpHead.js';
import type { ConnectionMode } from './httpHead.js';

/**
 * A response whose bytes are computed once: status, headers and body are fixed, only the `Date` value changes,
 * at most once per second, and then into new buffers. Bytes once handed out never change, so a writer can pass
 * them to the socket as they are: a read holding one request for a prepared route is answered without a copy,
 * which is what makes static routes as cheap as a hand-written server that writes a constant.
 *
 * ## Example
 * ```ts
 * import { HttpPreparedResponse } from './HttpPreparedResponse.js';
 * import { HttpRouter } from './HttpRouter.js';
 *
 * const hello = new HttpPreparedResponse(200, 'text/plain', 'hello');
 * const router = new HttpRouter().on('GET', '/', (_request, response) => response.sendPrepared(hello));
 * ```
 */
export class HttpPreparedResponse {
  // One buffer per ConnectionMode (keep-alive 1.1, keep-alive 1.0, close), plus views of their heads for HEAD.
  private full: Buffer[] = [];
  private heads: Buffer[] = [];
  private readonly headLengths: number[] = [];
  private readonly dateOffset: number;
  private version = 0;

  /**
   * @param status a final status from 200 to 599, other than 204 and 304
   * @param contentType the Content-Type value
   * @param body the body; a string is encoded as UTF-8
   * @param headers extra header lines (not Content-Length, Content-Type, Connection, Date, Transfer-Encoding)
   */
  constructor(
    status: number,
    contentType: string,
    body: string | Uint8Array,
    headers: ReadonlyArray<readonly [string, string]> = [],
  ) {
    assertStatus(status);
    assertHeaderValue('Content-Type', contentType);
    const lines = formatHeaderLines(headers);
    const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const placeholder = ' '.repeat(29);
    for (let mode = 0; mode < 3; mode++) {
      const head = Buffer.from(
        formatHead(status, placeholder, mode as ConnectionMode, contentType, bodyBytes.byteLength, lines),
        'latin1',
      );
      const bytes = Buffer.allocUnsafeSlow(head.length + bodyBytes.byteLength);
      head.copy(bytes, 0);
      bytes.set(bodyBytes, head.length);
      this.full.push(bytes);
      this.heads.push(bytes.subarray(0, head.length));
      this.headLengths.push(head.length);
    }
    this.dateOffset = this.full[0]!.indexOf('Date: ') + 6;
  }

  /**
   * The bytes for one connection mode, stamped with `date`: when it changed since the last call, into new
   * buffers, never over bytes handed out before.
   *
   * @internal
   * @param connection the connection mode
   * @param head whether this answers a HEAD request (no body)
   * @param date the date to stamp
   * @returns bytes that never change: the caller may copy them or keep them (write them to a socket) but must
   * not modify them
   */
  bytes(connection: ConnectionMode, head: boolean, date: HttpDate): Buffer {
    if (this.version !== date.version) this.restamp(date);
    return head ? this.heads[connection]! : this.full[connection]!;
  }

  /** New buffers with the new date: a socket's write queue may still hold the old ones (once a second). */
  private restamp(date: HttpDate): void {
    const full: Buffer[] = [];
    const heads: Buffer[] = [];
    for (let mode = 0; mode < this.full.length; mode++) {
      const old = this.full[mode]!;
      const bytes = Buffer.allocUnsafeSlow(old.length);
      old.copy(bytes, 0);
      bytes.set(date.bytes, this.dateOffset);
      full.push(bytes);
      heads.push(bytes.subarray(0, this.headLengths[mode]));
    }
    this.full = full;
    this.heads = heads;
    this.version = date.version;
  }
}
