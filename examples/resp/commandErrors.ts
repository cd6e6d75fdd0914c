import type { RespArgs } from './RespArgs.js';

/**
 * The error replies commands share, in Redis 7's exact words (send them with `RespWriter.error`).
 *
 * ## Example
 * ```ts
 * import { CommandError } from './commandErrors.js';
 * import { RespWriter } from './RespWriter.js';
 *
 * const out = new RespWriter();
 * out.error(CommandError.SYNTAX);
 * console.log(JSON.stringify(out.take().toString())); // "-ERR syntax error\r\n"
 * ```
 *
 * @internal
 */
export const CommandError = {
  SYNTAX: 'ERR syntax error',
  NOT_INTEGER: 'ERR value is not an integer or out of range',
  OVERFLOW: 'ERR increment or decrement would overflow',
  DECREMENT_OVERFLOW: 'ERR decrement would overflow',
  DB_INDEX: 'ERR DB index is out of range',
  INT_RANGE: 'ERR value is out of range, value must between -2147483648 and 2147483647',
} as const;

/**
 * `ERR wrong number of arguments for '<name>' command`.
 *
 * @internal
 * @param name the command's lowercase name (`get`, or `config|get` for a subcommand)
 */
export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/**
 * `ERR invalid expire time in '<name>' command`.
 *
 * @internal
 * @param name the command's lowercase name
 */
export function invalidExpireTime(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

/**
 * Redis 7's reply to an unknown command: `ERR unknown command 'x', with args beginning with: 'a' 'b' `,
 * the name cut at 128 bytes and the arguments listed until they pass 128 bytes.
 *
 * @internal
 * @param args the command as received
 */
export function unknownCommand(args: RespArgs): string {
  const argv = args.toArray();
  let listed = '';
  for (let i = 1; i < argv.length && listed.length < 128; i++) listed += `'${cString(argv[i]!, 128 - listed.length)}' `;
  return `ERR unknown command '${cString(argv[0]!, 128)}', with args beginning with: ${listed}`;
}

/**
 * Redis 7's reply to an unknown subcommand of a container command: `ERR unknown subcommand 'x'. Try CONFIG HELP.`
 *
 * @internal
 * @param args the command as received; argument 1 is the unknown subcommand
 */
export function unknownSubcommand(args: RespArgs): string {
  const container = args.latin1(0).toUpperCase();
  return `ERR unknown subcommand '${cString(args.buffer(1), 128)}'. Try ${container} HELP.`;
}

/**
 * An argument as C's `%.<max>s` prints it: latin1, cut at `max` bytes or at the first NUL. Redis formats these
 * messages from C strings, so a NUL inside an argument ends it there too.
 *
 * @internal
 * @param arg the argument
 * @param max at most this many bytes
 */
export function cString(arg: Buffer, max: number): string {
  let end = Math.min(arg.length, max);
  const nul = arg.indexOf(0);
  if (nul >= 0 && nul < end) end = nul;
  return arg.toString('latin1', 0, end);
}
