import { COLON, LOWER, QUESTION, SLASH } from './httpChars.js';

const EMPTY = Buffer.alloc(0);
// Paths longer than this are not cached; routes are short and a long path is rarely requested twice in a row.
const PATH_CACHE_BYTES = 64;

/**
 * One parsed request, as a view over the bytes it arrived in. The parser reuses a single instance per
 * connection and fills it in place, so nothing is allocated for a request the handler does not look at:
 * strings are decoded on demand, headers stay as offsets into the received bytes.
 *
 * A request is valid only during the handler call that receives it: the next socket read may overwrite the
 * bytes it views. Copy `body` (and read the strings you need) before returning if you keep them.
 *
 * ## Example
 * ```ts
 * import { HttpRouter } from './HttpRouter.js';
 *
 * const router = new HttpRouter().on('POST', '/echo', (request, response) => {
 *   const type = request.header('content-type') ?? 'application/octet-stream';
 *   response.send(200, type, request.body);
 * });
 * ```
 */
export class HttpRequest {
  /** The method, case-sensitive as sent (`'GET'`); common methods are interned strings. */
  method = 'GET';
  /** The minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  versionMinor = 1;
  /** Whether the connection stays open after the response (version default and `Connection` header). */
  keepAlive = true;
  /** The body (Content-Length or de-chunked); empty when there is none. May view received bytes: copy to keep. */
  body: Buffer = EMPTY;

  /** @internal The buffer holding the head. */
  source: Buffer = EMPTY;
  /** @internal Where the head starts in {@link HttpRequest.source}; all offsets below are relative to it. */
  base = 0;
  /** @internal */
  targetStart = 0;
  /** @internal */
  targetEnd = 0;
  /** @internal Header offsets, four per header: name start, name end, value start, value end (trimmed). */
  readonly fields: Int32Array;
  /** @internal Number of headers in {@link HttpRequest.fields}. */
  fieldCount = 0;
  /** @internal The decoded path of this request, once asked for; reset by the parser. */
  pathValue: string | undefined = undefined;

  private cachedPath = '';
  private cachedPathLength = -1;
  private readonly cachedPathBytes = new Uint8Array(PATH_CACHE_BYTES);

  /**
   * @internal
   * @param maxHeaders the most headers the parser records
   */
  constructor(maxHeaders: number) {
    this.fields = new Int32Array(maxHeaders * 4);
  }

  /**
   * The path: the request-target up to `?`, as sent (not percent-decoded); for an absolute-form target
   * (`http://host/p?q`, which RFC 9112 §3.2.2 says servers must accept) the part after the authority, `/` when
   * empty. A keep-alive client asking for the same path again gets the same string without a new decode.
   */
  get path(): string {
    if (this.pathValue !== undefined) return this.pathValue;
    const source = this.source;
    let start = this.base + this.targetStart;
    const targetEnd = this.base + this.targetEnd;
    if (source[start] !== SLASH) {
      const from = start;
      start = absolutePathStart(source, start, targetEnd);
      if (start !== from && (start === targetEnd || source[start] === QUESTION)) return (this.pathValue = '/');
    }
    let end = start;
    while (end < targetEnd && source[end] !== QUESTION) end++;
    const length = end - start;
    if (length === this.cachedPathLength) {
      const cached = this.cachedPathBytes;
      let i = 0;
      while (i < length && cached[i] === source[start + i]) i++;
      if (i === length) return (this.pathValue = this.cachedPath);
    }
    const path = source.toString('latin1', start, end);
    if (length <= PATH_CACHE_BYTES) {
      source.copy(this.cachedPathBytes, 0, start, end);
      this.cachedPathLength = length;
      this.cachedPath = path;
    }
    return (this.pathValue = path);
  }

  /** The whole request-target as sent (path and query). */
  get target(): string {
    return this.source.toString('latin1', this.base + this.targetStart, this.base + this.targetEnd);
  }

  /** The query after `?`, without it; `''` when there is none. */
  get query(): string {
    const target = this.target;
    const mark = target.indexOf('?');
    return mark < 0 ? '' : target.slice(mark + 1);
  }

  /** The number of header lines. */
  get headerCount(): number {
    return this.fieldCount;
  }

  /**
   * @param index from 0 to `headerCount - 1`
   * @returns the header name as sent (case preserved)
   */
  headerName(index: number): string {
    const at = this.base;
    return this.source.toString('latin1', at + this.fields[index * 4]!, at + this.fields[index * 4 + 1]!);
  }

  /**
   * @param index from 0 to `headerCount - 1`
   * @returns the header value without surrounding whitespace, bytes as latin1
   */
  headerValue(index: number): string {
    const at = this.base;
    return this.source.toString('latin1', at + this.fields[index * 4 + 2]!, at + this.fields[index * 4 + 3]!);
  }

  /**
   * The first header with this name, compared case-insensitively.
   *
   * @param name the header name, in any case
   * @returns its value, or `undefined` when the request has none
   */
  header(name: string): string | undefined {
    const source = this.source;
    const fields = this.fields;
    const length = name.length;
    for (let index = 0; index < this.fieldCount; index++) {
      const start = this.base + fields[index * 4]!;
      if (this.base + fields[index * 4 + 1]! - start !== length) continue;
      let i = 0;
      // A character above 0xff has no LOWER entry (undefined), so it never matches a byte.
      while (i < length && LOWER[source[start + i]!] === LOWER[name.charCodeAt(i)]) i++;
      if (i === length) return this.headerValue(index);
    }
    return undefined;
  }
}

/** Where the path of an absolute-form target starts; `start` itself for any other form (`*`, `host:port`). */
function absolutePathStart(src: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end && src[i] !== COLON && src[i] !== SLASH && src[i] !== QUESTION) i++;
  if (i + 2 >= end || src[i] !== COLON || src[i + 1] !== SLASH || src[i + 2] !== SLASH) return start;
  i += 3;
  while (i < end && src[i] !== SLASH && src[i] !== QUESTION) i++;
  return i;
}
