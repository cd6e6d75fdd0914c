import type { HttpDate } from './HttpDate.js';
import { assertHeaderValue, assertStatus, formatHead, formatHeaderLines } from './httpHead.js';
import type { ConnectionMode } from './httpHead.js';

/**
 * A response whose bytes are computed once: status, headers and body are fixed, only the `Date` value changes,
 * and it is restamped in place at most once per second. Sending one is a single memory copy, which is what
 * makes static routes as cheap as a hand-written server that writes a constant.
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
  private readonly full: Buffer[] = [];
  private readonly heads: Buffer[] = [];
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
    }
    this.dateOffset = this.full[0]!.indexOf('Date: ') + 6;
  }

  /**
   * The bytes for one connection mode, restamped with `date` if it changed since the last call.
   *
   * @internal
   * @param connection the connection mode
   * @param head whether this answers a HEAD request (no body)
   * @param date the date to stamp
   * @returns a buffer the caller copies at once and never keeps
   */
  bytes(connection: ConnectionMode, head: boolean, date: HttpDate): Buffer {
    if (this.version !== date.version) {
      for (const buffer of this.full) buffer.set(date.bytes, this.dateOffset);
      this.version = date.version;
    }
    return head ? this.heads[connection]! : this.full[connection]!;
  }
}
