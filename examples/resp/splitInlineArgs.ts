import type { RespArgs } from './RespArgs.js';

const SP = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;

/** C's `isspace` in the C locale: tab, LF, VT, FF, CR and space. */
function isSpace(c: number): boolean {
  return c === SP || (c >= TAB && c <= CR);
}

/** The bytes that end an unquoted token (`sdssplitargs` stops on these, not on VT or FF). */
function endsToken(c: number): boolean {
  return c === SP || c === LF || c === CR || c === TAB || c === 0;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * Splits one inline command line (`buf[start, end)`, without its line ending) into `args` exactly as Redis's
 * `sdssplitargs` does: blanks separate arguments; `"..."` understands `\n \r \t \b \a \xHH` and `\<any>`;
 * `'...'` understands only `\'`; a closing quote must be followed by a blank or the end of the line.
 *
 * A NUL byte is reported rather than split: Redis finds the end of an inline line with `strchr`, which stops at
 * a NUL, so a line holding one never ends for it (the connection waits until the line is too big).
 *
 * Unquoted arguments, the common case (`PING`, `GET key`), become ranges of `buf`; only quoted arguments are
 * copied. The walk is per byte because splitting on a character class with quoting has no Buffer method.
 *
 * ## Example
 * ```ts
 * import { RespArgs } from './RespArgs.js';
 * import { splitInlineArgs } from './splitInlineArgs.js';
 *
 * const line = Buffer.from('SET greeting "hello\\r\\nworld"');
 * const args = new RespArgs();
 * console.log(splitInlineArgs(line, 0, line.length, args)); // 'ok'
 * console.log(args.toArray().map((arg) => arg.toString('latin1'))); // [ 'SET', 'greeting', 'hello\r\nworld' ]
 * ```
 *
 * @internal
 * @param buf the bytes holding the line
 * @param start the first byte of the line
 * @param end one past the last byte (before `\r\n` or `\n`)
 * @param args where the arguments go; `args.count` is set (0 for a blank line)
 * @returns `'ok'`, `'unbalanced'` for unbalanced quotes, or `'nul'` when the line holds a NUL byte
 */
export function splitInlineArgs(buf: Buffer, start: number, end: number, args: RespArgs): 'ok' | 'unbalanced' | 'nul' {
  const sources = args.sources;
  let { starts, ends } = args;
  let count = 0;
  // Past `end` the C code sees the string's terminating NUL; `at` gives the same view.
  const at = (i: number): number => (i < end ? buf[i]! : 0);
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p]!)) p++;
    if (at(p) === 0) {
      if (p < end) return 'nul';
      args.count = count;
      return 'ok';
    }
    if (count === args.capacity) {
      args.grow(count + 1);
      ({ starts, ends } = args);
    }
    // Fast path: an unquoted token is a range of the line.
    let q = p;
    let c = at(q);
    while (!endsToken(c) && c !== DQUOTE && c !== SQUOTE) c = at(++q);
    if (c !== DQUOTE && c !== SQUOTE) {
      sources[count] = buf;
      starts[count] = p;
      ends[count++] = q;
      p = c === 0 ? q : q + 1;
      continue;
    }
    const token: number[] = [];
    for (let i = p; i < q; i++) token.push(buf[i]!);
    p = quotedToken(q, at, end, token);
    if (p === NUL_FOUND) return 'nul';
    if (p < 0) return 'unbalanced';
    sources[count] = Buffer.from(token);
    starts[count] = 0;
    ends[count++] = token.length;
  }
}

/** What {@link quotedToken} returns when it meets a NUL byte of the line. */
const NUL_FOUND = -2;

/**
 * The rest of a token from its first quote on, ported from the quote states of `sdssplitargs`. Returns the position
 * after the closing quote, -1 for unbalanced quotes (an unterminated quote, or a closing quote followed by
 * anything but a blank), or NUL_FOUND.
 */
function quotedToken(p: number, at: (i: number) => number, end: number, token: number[]): number {
  const double = at(p) === DQUOTE;
  p++;
  for (;;) {
    const c = at(p);
    if (c === 0) return p < end ? NUL_FOUND : -1;
    if (c === (double ? DQUOTE : SQUOTE)) {
      const next = at(p + 1);
      return next === 0 || isSpace(next) ? p + 1 : -1;
    }
    if (double && c === BACKSLASH) {
      const high = hexValue(at(p + 2));
      const low = hexValue(at(p + 3));
      if (at(p + 1) === 0x78 && high >= 0 && low >= 0) {
        token.push(high * 16 + low);
        p += 4;
        continue;
      }
      if (at(p + 1) !== 0) {
        token.push(unescape(at(p + 1)));
        p += 2;
        continue;
      }
    } else if (!double && c === BACKSLASH && at(p + 1) === SQUOTE) {
      token.push(SQUOTE);
      p += 2;
      continue;
    }
    token.push(c);
    p++;
  }
}

function unescape(c: number): number {
  switch (c) {
    case 0x6e:
      return LF; // \n
    case 0x72:
      return CR; // \r
    case 0x74:
      return TAB; // \t
    case 0x62:
      return 0x08; // \b
    case 0x61:
      return 0x07; // \a
    default:
      return c;
  }
}
