import { unknownCommand, unknownSubcommand, wrongArity } from './commandErrors.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import type { ChannelSubscriber } from './Channels.js';
import { commands } from './commands.js';
import { CommandTable } from './CommandTable.js';
import type { DigestWork } from './digestTask.js';
import { Keyspace, type KeyWatcher } from './Keyspace.js';
import { RespArgs } from './RespArgs.js';
import type { RespCommand } from './RespCommand.js';
import { RespParser, type RespParserOptions } from './RespParser.js';
import { RespWriter } from './RespWriter.js';
import { ServerState } from './ServerState.js';

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
  /**
   * Bytes of replies after which a batch stops (default: no bound): the command that went over it is the last
   * to run, {@link RespSession.paused} turns true, and {@link RespSession.resume} runs the rest of the input
   * already read when the caller's output can take more. So one read of 2,000 pipelined `GET`s of a 1 MB value
   * builds its replies as the socket drains, not 2 GB at once. Redis has no such bound (it builds them all);
   * this is what pacing a stage by its output needs.
   */
  outputBudget?: number;
  /**
   * The client's address as CLIENT LIST shows it (`127.0.0.1:50312`, `[::1]:50312`), or a function asked each
   * time (so that an address a PROXY protocol header replaced is the one shown); default empty.
   */
  addr?: string | (() => string);
  /** The server's end of the connection, likewise. */
  laddr?: string | (() => string);
}

/** A command queued by MULTI: its arguments, copied. */
interface Queued {
  readonly command: RespCommand;
  readonly args: RespArgs;
}

let defaultTable: CommandTable | undefined;

/**
 * One connection's RESP engine, free of sockets: `handle(chunk)` parses every complete command in the bytes just
 * read (with whatever earlier reads left unfinished), runs them in order against the server state and returns
 * all their replies as one buffer, ready for one write. This is the whole per-read hot path.
 *
 * The session is also the connection's state as Redis keeps it: the selected database, the protocol (RESP2, or
 * RESP3 after `HELLO 3`), a transaction being queued (MULTI) and the keys it WATCHes, the channels and patterns
 * it is subscribed to, its name and id. Open sessions are listed in `state.clients`; call
 * {@link RespSession.close} when the connection is gone.
 *
 * After `QUIT`, or when the input breaks the protocol, `closing` turns true: write the returned bytes (`+OK`, or
 * the replies so far plus `-ERR Protocol error: ...`), then close the connection. Commands after a `QUIT` in the
 * same read do not run, as in Redis.
 *
 * The returned buffer is a view of the writer's slab that is never written again: hand it to the socket as is.
 * It is empty (length 0) when the read held no complete command; skip the write then. The chunk may be reused
 * by the reader as soon as `handle` returns.
 *
 * Messages published to this session's channels by other sessions go to {@link RespSession.onPush}, which the
 * connection's pipeline sets; a message this session publishes to itself is written among its replies, where
 * Redis writes it.
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
 * import { ServerState } from './ServerState.js';
 * import { RespSession } from './RespSession.js';
 *
 * const session = new RespSession(new ServerState());
 * const reply = session.handle(Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nGET k\r\nQUIT\r\nPING\r\n'));
 * console.log(JSON.stringify(reply.toString())); // "+OK\r\n$1\r\nv\r\n+OK\r\n"
 * console.log(session.closing); // true: write the reply, then close
 * session.close();
 * ```
 */
export class RespSession implements ChannelSubscriber, KeyWatcher {
  /** What every connection shares: databases, channels, clients. */
  readonly state: ServerState;
  /** The selected database (SELECT). */
  keyspace: Keyspace;
  /** Its index. */
  db = 0;
  /** The writer replies go to. */
  readonly out: RespWriter;
  /** The commands this connection can run. */
  readonly commands: CommandTable;
  /** CLIENT ID. */
  readonly id: number;
  /** CLIENT SETNAME's name, or empty. */
  name = '';
  /** RESP2, or RESP3 after HELLO 3. */
  protocol: 2 | 3 = 2;
  private readonly addrOf: string | (() => string);
  private readonly laddrOf: string | (() => string);
  /** When the session began (Date.now()). */
  readonly createdAt: number;
  /** When it last ran a command, by `state.clock` (so to within a tenth of a second under processState). */
  lastActive: number;
  /** The last command's name, as CLIENT LIST's `cmd=` shows it. */
  lastCommand = 'NULL';
  /** The channels and patterns this connection is subscribed to. */
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  /**
   * Where messages published by other connections go, in order with this connection's replies: set by the
   * connection's pipeline. Without it they are dropped (a session driven by hand).
   */
  onPush: ((frame: Buffer) => void) | undefined;
  /** The commands queued by MULTI, or `undefined` outside a transaction. */
  queued: Queued[] | undefined;
  /** A command was refused while queueing: EXEC will abort. */
  transactionFailed = false;
  /** The keys this connection WATCHes, by database, and whether one of them changed since. */
  private watched: Map<Keyspace, Set<string>> | undefined;
  private watchTouched = false;
  private readonly parser: RespParser;
  private readonly deferDigest: boolean;
  private quitting = false;
  /** The work that stopped the current batch. */
  private work: DigestWork | undefined;
  /** Whether the batch stops after the command just run: `quitting`, or work was deferred. */
  private stopped = false;
  private held = false;
  private readonly budget: number;
  /** True while this session runs its commands (so a message it publishes to itself joins its replies). */
  private running = false;
  private closed = false;
  /** Channels plus patterns: one field for the per-command check of RESP2's subscribed mode. */
  private subscriptions = 0;

  /**
   * @param state the server state, shared by all connections (or one database, for a server of one)
   * @param options parser limits, a shared writer, a command table, the client's address
   */
  constructor(state: ServerState | Keyspace, options: RespSessionOptions = {}) {
    this.state = state instanceof Keyspace ? ServerState.of(state) : state;
    this.keyspace = this.state.databases[0]!;
    this.out = options.writer ?? new RespWriter();
    this.commands = options.commands ?? (defaultTable ??= new CommandTable(commands));
    this.parser = new RespParser(options);
    this.deferDigest = options.deferDigest ?? false;
    this.budget = options.outputBudget ?? Infinity;
    this.addrOf = options.addr ?? '';
    this.laddrOf = options.laddr ?? '';
    this.createdAt = this.lastActive = this.state.tick();
    this.id = this.state.nextClientId();
    this.state.clients.set(this.id, this);
  }

  /** The client's address (CLIENT LIST's `addr=`). */
  get addr(): string {
    return typeof this.addrOf === 'string' ? this.addrOf : this.addrOf();
  }

  /** The server's end of the connection (CLIENT LIST's `laddr=`). */
  get laddr(): string {
    return typeof this.laddrOf === 'string' ? this.laddrOf : this.laddrOf();
  }

  /** True once the connection should close after the last returned bytes are written. */
  get closing(): boolean {
    return this.quitting;
  }

  /**
   * The DIGEST work that stopped the batch (with `deferDigest`): its reply goes right after the bytes `handle` or
   * `resume` just returned, then call {@link RespSession.resume}. `undefined` when the batch ran to its end.
   */
  /**
   * Whether the batch stopped at the `outputBudget` with complete commands of the input still to run: call
   * {@link RespSession.resume} (not `handle`) when the output can take more.
   */
  get paused(): boolean {
    return this.held;
  }

  get deferred(): DigestWork | undefined {
    return this.work;
  }

  /** Bytes held for an unfinished command (CLIENT LIST's `qbuf=`). */
  get buffered(): number {
    return this.parser.buffered;
  }

  /** Whether this connection is subscribed to anything (CLIENT LIST's `P` flag; RESP2's subscribed mode). */
  get subscribed(): boolean {
    return this.subscriptions > 0;
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
    if (this.work !== undefined || this.held) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT,
        `expected resume() after a ${this.held ? 'paused batch' : 'deferred DIGEST'}, got handle()`);
    }
    this.parser.push(chunk);
    return this.drain();
  }

  /**
   * Continues the batch that {@link RespSession.deferred} stopped, once the caller has taken the work, or that
   * the `outputBudget` {@link RespSession.paused}.
   *
   * @returns the replies of the commands after the last one run, up to the batch's end, the next deferral or
   *   the budget
   */
  resume(): Buffer {
    if (this.work === undefined && !this.held) return EMPTY;
    this.work = undefined;
    this.held = false;
    this.stopped = this.quitting;
    return this.drain();
  }

  /**
   * The connection is gone: leaves every channel and pattern, forgets the watched keys, and leaves
   * `state.clients`. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.quitting = true;
    this.held = false;
    this.unsubscribeAll();
    this.unwatchAll();
    this.queued = undefined;
    this.state.clients.delete(this.id);
  }

  /** Part of the command context: the DIGEST command calls it. */
  defer(work: DigestWork): boolean {
    if (!this.deferDigest) return false;
    this.work = work;
    this.stopped = true;
    return true;
  }

  /** Part of the command context: `QUIT` calls it. */
  quit(): void {
    this.quitting = true;
    this.stopped = true;
  }

  /**
   * Part of the command context: selects database `index` (SELECT).
   *
   * @param index a valid index of `state.databases`
   */
  select(index: number): void {
    this.db = index;
    this.keyspace = this.state.databases[index]!;
  }

  /**
   * Part of the command context: switches the protocol (HELLO); the replies from here on use it.
   *
   * @param protocol 2 or 3
   */
  setProtocol(protocol: 2 | 3): void {
    this.protocol = protocol;
    this.out.protocol = protocol;
  }

  /** {@link ChannelSubscriber}: a message frame for this connection. */
  deliver(frame: Buffer): void {
    if (this.running) this.out.raw(frame);
    else this.onPush?.(frame);
  }

  /**
   * Part of the command context: subscribes to a channel (`pattern` false) or a pattern.
   *
   * @param name the channel or pattern
   * @param pattern whether `name` is a pattern
   * @returns false when already subscribed
   */
  subscribe(name: string, pattern: boolean): boolean {
    const names = pattern ? this.patterns : this.channels;
    if (names.has(name)) return false;
    names.add(name);
    this.subscriptions++;
    if (pattern) this.state.channels.psubscribe(this, name);
    else this.state.channels.subscribe(this, name);
    return true;
  }

  /**
   * Part of the command context: unsubscribes from a channel or a pattern.
   *
   * @param name the channel or pattern
   * @param pattern whether `name` is a pattern
   * @returns false when not subscribed
   */
  unsubscribe(name: string, pattern: boolean): boolean {
    const names = pattern ? this.patterns : this.channels;
    if (!names.delete(name)) return false;
    this.subscriptions--;
    if (pattern) this.state.channels.punsubscribe(this, name);
    else this.state.channels.unsubscribe(this, name);
    return true;
  }

  /** {@link KeyWatcher}: a watched key changed. */
  keyTouched(): void {
    this.watchTouched = true;
  }

  /**
   * Part of the command context: WATCHes `key` in the selected database.
   *
   * @param key the key
   */
  watch(key: string): void {
    const watched = (this.watched ??= new Map());
    let keys = watched.get(this.keyspace);
    if (keys === undefined) watched.set(this.keyspace, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    this.keyspace.watch(key, this);
  }

  /** Part of the command context: forgets every watched key (UNWATCH, EXEC, DISCARD). */
  unwatchAll(): void {
    const watched = this.watched;
    this.watched = undefined;
    this.watchTouched = false;
    if (watched === undefined) return;
    for (const [keyspace, keys] of watched) for (const key of keys) keyspace.unwatch(key, this);
  }

  /** Part of the command context: whether a watched key changed since WATCH (EXEC then fails). */
  get watchFailed(): boolean {
    return this.watchTouched;
  }

  /** Part of the command context: how many keys are watched. */
  get watchCount(): number {
    let count = 0;
    if (this.watched !== undefined) for (const keys of this.watched.values()) count += keys.size;
    return count;
  }

  /**
   * Part of the command context: runs the queued commands of EXEC, each writing its reply.
   *
   * @param queued what MULTI queued
   */
  runQueued(queued: readonly Queued[]): void {
    for (const { command, args } of queued) this.execute(command, args);
  }

  /** Part of the command context: leaves every channel and pattern (RESET). */
  unsubscribeAll(): void {
    for (const channel of this.channels) this.state.channels.unsubscribe(this, channel);
    for (const pattern of this.patterns) this.state.channels.punsubscribe(this, pattern);
    this.channels.clear();
    this.patterns.clear();
    this.subscriptions = 0;
  }

  /** Runs the parsed commands until the chunk is used up, a QUIT, or a deferral. */
  private drain(): Buffer {
    const parser = this.parser;
    const out = this.out;
    out.protocol = this.protocol;
    this.running = true;
    this.lastActive = this.state.clock;
    try {
      for (let args = parser.next(); args !== undefined; args = parser.next()) {
        this.run(args);
        if (this.stopped) {
          this.running = false;
          return out.take();
        }
        if (out.pending > this.budget) {
          this.held = true;
          this.running = false;
          return out.take();
        }
      }
    } catch (error) {
      // Only a bug gets here. The writer may be shared: its half-written batch must not reach another connection.
      out.discard();
      this.running = false;
      this.quitting = true;
      this.stopped = true;
      this.work = undefined;
      this.held = false;
      throw error;
    }
    this.running = false;
    const error = parser.error;
    if (error !== undefined) {
      if (parser.replyToError) out.error(`ERR ${error.message}`);
      this.quitting = true;
      this.stopped = true;
    }
    return out.take();
  }

  /** Redis's processCommand: look up, check, then queue (inside MULTI) or run. */
  private run(args: RespArgs): void {
    const command = this.commands.lookup(args.sources[0]!, args.starts[0], args.ends[0]);
    if (command === undefined) {
      this.reject(unknownCommand(args));
      return;
    }
    const count = args.count;
    const arity = command.arity;
    if (arity > 0 ? count !== arity : count < -arity) {
      this.reject(wrongArity(command.name));
      return;
    }
    // The hot path: a plain command, outside MULTI and subscribed mode.
    if (command.subcommands === undefined && this.queued === undefined && this.subscriptions === 0) {
      this.lastCommand = command.name;
      command.run(this, args);
      return;
    }
    this.runInContext(command, args);
  }

  /** The rest of processCommand: subcommands, then MULTI's and the subscribed mode's rules. */
  private runInContext(found: RespCommand, args: RespArgs): void {
    let command = found;
    const count = args.count;
    let name = command.name;
    const subcommands = command.subcommands;
    if (subcommands !== undefined && count >= 2) {
      const sub = subcommands.find((candidate) => args.is(1, candidate.name));
      if (sub === undefined) {
        this.reject(unknownSubcommand(args));
        return;
      }
      name = `${command.name}|${sub.name}`;
      const arity = sub.arity;
      if (arity > 0 ? count !== arity : count < -arity) {
        this.reject(wrongArity(name));
        return;
      }
      command = sub;
    }
    this.lastCommand = name;
    const queued = this.queued;
    if (queued !== undefined && command.noMulti === true) {
      this.reject('ERR Command not allowed inside a transaction');
      return;
    }
    if (this.subscriptions > 0 && this.protocol === 2 && command.pubsubContext !== true) {
      this.reject(
        `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      );
      return;
    }
    if (queued !== undefined && command.transactionControl !== true) {
      queued.push({ command, args: copyArgs(args) });
      this.out.simple('QUEUED');
      return;
    }
    command.run(this, args);
  }

  /** Runs a command that EXEC took from the queue. */
  private execute(command: RespCommand, args: RespArgs): void {
    command.run(this, args);
  }

  /** Redis's rejectCommand: the error, and inside MULTI the transaction is then doomed. */
  private reject(message: string): void {
    this.out.error(message);
    if (this.queued !== undefined) this.transactionFailed = true;
  }
}

/** A queued command's own copy of its arguments. */
function copyArgs(args: RespArgs): RespArgs {
  const copy = new RespArgs();
  copy.grow(args.count);
  for (let i = 0; i < args.count; i++) {
    const bytes = args.copy(i);
    copy.sources[i] = bytes;
    copy.starts[i] = 0;
    copy.ends[i] = bytes.length;
  }
  copy.count = args.count;
  return copy;
}
