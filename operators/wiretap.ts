import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Options for {@link wiretap}.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { wiretap, type WiretapOptions } from 'rxloop/operators';
 *
 * // In a test: always on, into an array, at most 16 bytes per dump.
 * const dumped: string[] = [];
 * const options: WiretapOptions = { enabled: true, log: (line) => dumped.push(line), maxBytes: 16 };
 * of(Buffer.from('PING\r\n')).pipe(wiretap('in', options)).subscribe();
 * ```
 */
export interface WiretapOptions {
  /**
   * Whether to dump (default: when the `RXLOOP_WIRETAP` environment variable is `1`, `*`, or a comma-separated
   * list containing the label). When off, the operator returns its source untouched and costs nothing.
   */
  readonly enabled?: boolean;
  /** Where lines go (default `console.error`). */
  readonly log?: (line: string) => void;
  /** Bytes per dumped chunk before the dump is cut short (default 256). */
  readonly maxBytes?: number;
}

/**
 * Hex-dumps the bytes flowing through, labelled, for debugging a protocol on the wire: put one on the input
 * (`wiretap('in')`) and one before `sendTo` (`wiretap('out')`). Off unless enabled.
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { handle, sendTo, wiretap } from 'rxloop/operators';
 *
 * // RXLOOP_WIRETAP=echo node server.js
 * listen({ port: 7011 }).pipe(
 *   handle((connection) => connection.data$.pipe(wiretap('echo'), sendTo(connection))),
 * ).subscribe();
 * ```
 *
 * @param label printed before each dump
 * @param options enabling, output and size of dumps
 * @returns an operator that passes values through
 */
export function wiretap<T extends Uint8Array | string | readonly (Uint8Array | string)[]>(
  label: string,
  options: WiretapOptions = {},
): MonoTypeOperatorFunction<T> {
  const enabled = options.enabled ?? enabledByEnvironment(label);
  if (!enabled) return (source) => source;
  const log = options.log ?? ((line: string) => console.error(line));
  const maxBytes = options.maxBytes ?? 256;
  return (source) =>
    new Observable<T>((subscriber) => {
      // A failing log errors the stream (never the process), and nothing is logged after that.
      const safeLog = (line: string): boolean => {
        try {
          log(line);
          return true;
        } catch (error) {
          subscriber.error(error);
          return false;
        }
      };
      return source.subscribe({
        next: (value) => {
          if (subscriber.closed) return;
          const chunks = typeof value === 'string' || value instanceof Uint8Array ? [value] : value;
          for (const chunk of chunks as readonly (Uint8Array | string)[]) {
            if (!safeLog(hexDump(label, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, maxBytes))) return;
          }
          subscriber.next(value);
        },
        error: (error) => {
          if (subscriber.closed) return;
          if (safeLog(`${label} error ${String((error as { code?: string })?.code ?? error)}`)) subscriber.error(error);
        },
        complete: () => {
          if (subscriber.closed) return;
          if (safeLog(`${label} end`)) subscriber.complete();
        },
      });
    });
}

function enabledByEnvironment(label: string): boolean {
  const setting = process.env['RXLOOP_WIRETAP'];
  if (setting === undefined || setting === '' || setting === '0') return false;
  if (setting === '1' || setting === '*') return true;
  return setting.split(',').map((s) => s.trim()).includes(label);
}

/** @internal Formats bytes like `hexdump -C`: offset, 16 hex bytes, printable ASCII. */
export function hexDump(label: string, bytes: Uint8Array, maxBytes: number): string {
  const shown = Math.min(bytes.length, maxBytes);
  const lines = [`${label} ${bytes.length} bytes`];
  for (let offset = 0; offset < shown; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, shown));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  |${text}|`);
  }
  if (shown < bytes.length) lines.push(`... ${bytes.length - shown} more bytes`);
  return lines.join('\n');
}
