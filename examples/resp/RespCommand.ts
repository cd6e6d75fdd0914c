import type { RespArgs } from './RespArgs.js';
import type { RespSession } from './RespSession.js';

/**
 * What a command runs against: the connection's session, with the selected database (`keyspace`), the server
 * state every connection shares (`state`), the reply writer (`out`) and the connection's own state (protocol,
 * transaction, subscriptions, name).
 */
export type CommandContext = RespSession;

/** What COMMAND INFO says about a command, in Redis 7's terms. */
export interface CommandInfo {
  /** Flags (`write`, `readonly`, `fast`, `denyoom`, `pubsub`, `noscript`, `loading`, `stale`, ...). */
  readonly flags: readonly string[];
  /** ACL categories (`@read`, `@string`, `@fast`, ...). */
  readonly categories: readonly string[];
  /**
   * Where the keys are: the first key's index, the last's (negative counts from the end), the step; omitted for a
   * command without keys.
   */
  readonly keys?: readonly [first: number, last: number, step: number];
  /** Command tips (`nondeterministic_output`, `request_policy:all_shards`, ...). */
  readonly tips?: readonly string[];
  /** The key spec's flags (`RO`, `access`, `RW`, `update`, ...), for a command with keys; and its notes. */
  readonly keySpec?: readonly string[];
  readonly keyNotes?: string;
}

/**
 * One server command. The session checks the arity before `run` (and finds the subcommand of a container
 * command, checking its arity too), so `run` sees a valid argument count and checks only the arguments' values.
 * Commands read their arguments from {@link RespArgs} without allocating: keys with `latin1(i)`, values to store
 * with `value(i)`, options with `is(i, 'nx')`.
 *
 * ## Example
 * ```ts
 * import type { RespCommand } from './RespCommand.js';
 *
 * export const strlen: RespCommand = {
 *   name: 'strlen',
 *   arity: 2,
 *   info: { flags: ['readonly', 'fast'], categories: ['@read', '@string', '@fast'], keys: [1, 1, 1] },
 *   run(ctx, args) {
 *     ctx.out.integer(ctx.keyspace.get(args.latin1(1))?.length ?? 0);
 *   },
 * };
 * ```
 */
export interface RespCommand {
  /** The command's name in lowercase ASCII letters; matched case-insensitively. */
  readonly name: string;
  /**
   * Redis's arity: N > 0 means exactly N arguments, the name included; -N means at least N.
   */
  readonly arity: number;
  /** What COMMAND reports about it; commands without it are not listed (a test's own command, say). */
  readonly info?: CommandInfo;
  /** Refused inside MULTI ("Command not allowed inside a transaction"), as Redis's `no-multi` flag. */
  readonly noMulti?: boolean;
  /** Allowed while a RESP2 connection is subscribed (PING, the SUBSCRIBE family, QUIT, RESET). */
  readonly pubsubContext?: boolean;
  /** Run at once inside MULTI rather than queued (EXEC, DISCARD, MULTI, WATCH, QUIT, RESET). */
  readonly transactionControl?: boolean;
  /** For a container command (CONFIG, CLIENT): its subcommands, found by argument 1. */
  readonly subcommands?: readonly RespCommand[];
  /**
   * Runs the command and writes its reply to `ctx.out` (exactly one reply).
   *
   * @param ctx the session
   * @param args the arguments, the name first; valid during the call only, so copy what you keep
   */
  run(ctx: CommandContext, args: RespArgs): void;
}
