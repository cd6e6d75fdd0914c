import type { CommandTable } from './CommandTable.js';
import type { DigestWork } from './digestTask.js';
import type { Keyspace } from './Keyspace.js';
import type { RespArgs } from './RespArgs.js';
import type { RespWriter } from './RespWriter.js';

/** What a command runs against: the store, the reply writer, the command table, and its connection. */
export interface CommandContext {
  /** The store (shared by every connection). */
  readonly keyspace: Keyspace;
  /** Where the command writes its reply (exactly one reply per command). */
  readonly out: RespWriter;
  /** The table the command was found in (for `COMMAND COUNT`). */
  readonly commands: CommandTable;
  /** Asks for the connection to close once the replies written so far are sent; later commands do not run. */
  quit(): void;
  /**
   * Hands DIGEST's hashing out of the batch, when the session was made with `deferDigest`: the reply of this
   * command is then the digest of `work`, computed by the caller (see `RespSession.deferred`).
   *
   * @param work the value as read now and the rounds
   * @returns false when the session runs it inline: the command then writes its reply itself
   */
  defer(work: DigestWork): boolean;
}

/**
 * One server command. The session checks the arity before `run`, so `run` sees a valid argument count and checks
 * only the arguments' values. Commands read their arguments from {@link RespArgs} without allocating: keys with
 * `latin1(i)`, values to store with `copy(i)`, options with `is(i, 'nx')`.
 *
 * ## Example
 * ```ts
 * import type { RespCommand } from './RespCommand.js';
 *
 * export const strlen: RespCommand = {
 *   name: 'strlen',
 *   arity: 2,
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
  /**
   * Runs the command and writes its reply to `ctx.out`.
   *
   * @param ctx the store, the writer and the connection
   * @param args the arguments, the name first; valid during the call only, so copy what you keep
   */
  run(ctx: CommandContext, args: RespArgs): void;
}
