import { unknownCommand, wrongArity } from './commandErrors.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { commands } from './commands.js';
import { CommandTable } from './CommandTable.js';
import type { DigestWork } from './digestTask.js';
import type { Keyspace } from './Keyspace.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext } from './RespCommand.js';
import { RespParser, type RespParserOptions } from './RespParser.js';
import { RespWriter } from './RespWriter.js';

const EMPTY = Buffer.alloc(0);

/** Where a {@link RespSession} gets its parts; each has a default. */
export interface RespSessionOptions extends RespParserOptions {
  /**
   * The reply writer. Pass one writer to every session of a thread: `handle` takes its whole batch before it
   * returns, so sessions never interleave in it, and idle connections then hold no output memory.
   */
  writer?: RespWriter;
  /** The commands; default every command of this server. Share one table between sessions. */
  commands?: CommandTable;
  /**
   * Hand DIGEST's hashing to the caller instead of running it inside `handle` (default false): the batch stops
   * after the value is read, and {@link RespSession.deferred} holds the work (see there). For a server that
   * hashes on a worker pool, or in another process than the one that owns the keyspace.
   */
  deferDigest?: boolean;
}

let defaultTable: CommandTable | undefined;

/**
 * One connection's RESP engine, free of sockets: `handle(chunk)` parses every complete command in the bytes just
 * read (with whatever earlier reads left unfinished), runs them in order against the keyspace and returns all
 * their replies as one buffer, ready for one write. This is the whole per-read hot path.
 *
 * After `QUIT`, or when the input breaks the protocol, `closing` turns true: write the returned bytes (`+OK`, or
 * the replies so far plus `-ERR Protocol error: ...`), then close the connection. Commands after a `QUIT` in the
 * same read do not run, as in Redis.
 *
 * The returned buffer is a view of the writer's slab that is never written again: hand it to the socket as is.
 * It is empty (length 0) when the read held no complete command; skip the write then. The chunk may be reused
 * by the reader as soon as `handle` returns.
 *
 * `handle` throws only when a command has a bug; the batch's replies are then dropped and `closing` is true.
 *
 * With `deferDigest`, a batch also stops at each `DIGEST` of an existing key: `handle` (or `resume`) returns the
 * replies before it and {@link RespSession.deferred} holds the value and rounds to hash; the caller sends the
 * digest's reply after those bytes and calls {@link RespSession.resume} for the rest of the batch. The chunk must
 * then stay unchanged until the batch is resumed to its end. Batches without `DIGEST` take the same path as
 * without the option.
 *
 * ## Example
 * ```ts
 * import { Keyspace } from './Keyspace.js';
 * import { RespSession } from './RespSession.js';
 *
 * const keyspace = new Keyspace();
 * const session = new RespSession(keyspace);
 * const reply = session.handle(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\nQUIT\r\nPING\r\n'));
 * console.log(JSON.stringify(reply.toString())); // "+OK\r\n$1\r\nv\r\n+OK\r\n"
 * console.log(session.closing); // true: write the reply, then close
 * ```
 */
export class RespSession implements CommandContext {
  /** The store this connection works on. */
  readonly keyspace: Keyspace;
  /** The writer replies go to. */
  readonly out: RespWriter;
  /** The commands this connection can run. */
  readonly commands: CommandTable;
  private readonly parser: RespParser;
  private readonly deferDigest: boolean;
  private quitting = false;
  /** The work that stopped the current batch. */
  private work: DigestWork | undefined;
  /** Whether the batch stops after the command just run: `quitting`, or work was deferred. */
  private stopped = false;

  /**
   * @param keyspace the store, shared by all connections
   * @param options parser limits, a shared writer, a command table
   */
  constructor(keyspace: Keyspace, options: RespSessionOptions = {}) {
    this.keyspace = keyspace;
    this.out = options.writer ?? new RespWriter();
    this.commands = options.commands ?? (defaultTable ??= new CommandTable(commands));
    this.parser = new RespParser(options);
    this.deferDigest = options.deferDigest ?? false;
  }

  /** True once the connection should close after the last returned bytes are written. */
  get closing(): boolean {
    return this.quitting;
  }

  /**
   * The DIGEST work that stopped the batch (with `deferDigest`): its reply goes right after the bytes `handle` or
   * `resume` just returned, then call {@link RespSession.resume}. `undefined` when the batch ran to its end.
   */
  get deferred(): DigestWork | undefined {
    return this.work;
  }

  /**
   * Runs every complete command in `chunk` and returns their replies.
   *
   * @param chunk the bytes just read; not kept after the call (unless a deferral stops the batch)
   * @returns the replies, possibly empty; nothing more after `closing` turned true
   * @throws RxloopError `ERR_INVALID_ARGUMENT` while a deferred batch has not been resumed
   */
  handle(chunk: Buffer): Buffer {
    if (this.quitting) return EMPTY;
    if (this.work !== undefined) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, 'expected resume() after a deferred DIGEST, got handle()');
    }
    this.parser.push(chunk);
    return this.drain();
  }

  /**
   * Continues the batch that {@link RespSession.deferred} stopped, once the caller has taken the work.
   *
   * @returns the replies of the commands after the deferred one, up to the batch's end or the next deferral
   */
  resume(): Buffer {
    if (this.work === undefined) return EMPTY;
    this.work = undefined;
    this.stopped = this.quitting;
    return this.drain();
  }

  /** Part of {@link CommandContext}: the DIGEST command calls it. */
  defer(work: DigestWork): boolean {
    if (!this.deferDigest) return false;
    this.work = work;
    this.stopped = true;
    return true;
  }

  /** Runs the parsed commands until the chunk is used up, a QUIT, or a deferral. */
  private drain(): Buffer {
    const parser = this.parser;
    try {
      for (let args = parser.next(); args !== undefined; args = parser.next()) {
        this.run(args);
        if (this.stopped) return this.out.take();
      }
    } catch (error) {
      // Only a bug gets here. The writer may be shared: its half-written batch must not reach another connection.
      this.out.discard();
      this.quitting = true;
      this.stopped = true;
      this.work = undefined;
      throw error;
    }
    const error = parser.error;
    if (error !== undefined) {
      if (parser.replyToError) this.out.error(`ERR ${error.message}`);
      this.quitting = true;
      this.stopped = true;
    }
    return this.out.take();
  }

  /** Part of {@link CommandContext}: `QUIT` calls it. */
  quit(): void {
    this.quitting = true;
    this.stopped = true;
  }

  private run(args: RespArgs): void {
    const command = this.commands.lookup(args.sources[0]!, args.starts[0], args.ends[0]);
    if (command === undefined) {
      this.out.error(unknownCommand(args));
      return;
    }
    const arity = command.arity;
    const count = args.count;
    if (arity > 0 ? count !== arity : count < -arity) {
      this.out.error(wrongArity(command.name));
      return;
    }
    command.run(this, args);
  }
}
