import { CommandError, invalidExpireTime, wrongArity } from './commandErrors.js';
import { digest, MAX_DIGEST_ROUNDS } from './digest.js';
import { NO_EXPIRY, type Value } from './Keyspace.js';
import { LLONG_MAX, LLONG_MIN, parseInteger } from './parseInteger.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext, CommandInfo, RespCommand } from './RespCommand.js';

// SET flags, as in Redis's parseExtendedStringArgumentsOrReply.
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const EX = 16;
const PX = 32;
const EXAT = 64;
const PXAT = 128;
const EXPIRES = EX | PX | EXAT | PXAT;
/** Redis's proto-max-bulk-len: the longest string APPEND may make. */
const MAX_STRING = 512 * 1024 * 1024;

const READ_FAST: CommandInfo = { flags: ['readonly', 'fast'], categories: ['@read', '@string', '@fast'], keys: [1, 1, 1], keySpec: ['RO', 'access'] };
const WRITE_FAST: CommandInfo = { flags: ['write', 'denyoom', 'fast'], categories: ['@write', '@string', '@fast'], keys: [1, 1, 1], keySpec: ['RW', 'access', 'update'] };

const get: RespCommand = {
  name: 'get',
  arity: 2,
  info: READ_FAST,
  run(ctx, args) {
    const value = ctx.keyspace.get(args.latin1(1));
    if (value === undefined) ctx.out.nullBulk();
    else ctx.out.value(value);
  },
};

const set: RespCommand = {
  name: 'set',
  arity: -3,
  info: {
    flags: ['write', 'denyoom'],
    categories: ['@write', '@string', '@slow'],
    keys: [1, 1, 1],
    keySpec: ['RW', 'access', 'update', 'variable_flags'],
    keyNotes: 'RW and ACCESS due to the optional `GET` argument',
  },
  run(ctx, args) {
    const { keyspace, out } = ctx;
    const argc = args.count;
    if (argc === 3) {
      keyspace.set(args.latin1(1), args.value(2));
      out.ok();
      return;
    }
    let flags = 0;
    let expire = 0;
    for (let j = 3; j < argc; j++) {
      if (args.is(j, 'nx') && (flags & XX) === 0) flags |= NX;
      else if (args.is(j, 'xx') && (flags & NX) === 0) flags |= XX;
      else if (args.is(j, 'get')) flags |= GET;
      else if (args.is(j, 'keepttl') && (flags & EXPIRES) === 0) flags |= KEEPTTL;
      else {
        // Redis lets an expire option repeat (the last wins) but not mix with another one or with KEEPTTL.
        const unit = expireOption(args, j);
        if (unit === 0 || (flags & (KEEPTTL | (EXPIRES & ~unit))) !== 0 || j === argc - 1) {
          out.error(CommandError.SYNTAX);
          return;
        }
        flags |= unit;
        expire = ++j;
      }
    }
    let expiresAt = NO_EXPIRY;
    if (expire !== 0) {
      expiresAt = setExpireTime(ctx, args, expire, flags);
      if (Number.isNaN(expiresAt)) return;
    }
    const key = args.latin1(1);
    const current = keyspace.get(key);
    if ((flags & GET) !== 0) {
      if (current === undefined) out.nullBulk();
      else out.value(current);
    }
    if (((flags & NX) !== 0 && current !== undefined) || ((flags & XX) !== 0 && current === undefined)) {
      if ((flags & GET) === 0) out.nullBulk();
      return;
    }
    if ((flags & KEEPTTL) !== 0 && current !== undefined) expiresAt = keyspace.expiresAt(key)!;
    keyspace.set(key, args.value(2), expiresAt);
    if ((flags & GET) === 0) out.ok();
  },
};

function expireOption(args: RespArgs, i: number): number {
  if (args.is(i, 'ex')) return EX;
  if (args.is(i, 'px')) return PX;
  if (args.is(i, 'exat')) return EXAT;
  if (args.is(i, 'pxat')) return PXAT;
  return 0;
}

/** Redis's getExpireMillisecondsOrReply for SET: the absolute expiry time, or NaN after replying an error. */
function setExpireTime(ctx: CommandContext, args: RespArgs, i: number, flags: number): number {
  const n = args.integer(i);
  if (Number.isNaN(n)) {
    ctx.out.error(CommandError.NOT_INTEGER);
    return NaN;
  }
  // Exact 64-bit arithmetic: the overflow checks are Redis's, and this is not the GET/SET hot path.
  const seconds = (flags & (EX | EXAT)) !== 0;
  let when = Number.isSafeInteger(n) ? BigInt(n) : args.bigint(i);
  if (when <= 0n || (seconds && when > LLONG_MAX / 1000n)) {
    ctx.out.error(invalidExpireTime('set'));
    return NaN;
  }
  if (seconds) when *= 1000n;
  if ((flags & (EX | PX)) !== 0) when += BigInt(ctx.keyspace.now());
  if (when > LLONG_MAX) {
    ctx.out.error(invalidExpireTime('set'));
    return NaN;
  }
  return Number(when);
}

const mget: RespCommand = {
  name: 'mget',
  arity: -2,
  info: { tips: ['request_policy:multi_shard'], ...READ_FAST, keys: [1, -1, 1] },
  run(ctx, args) {
    const { keyspace, out } = ctx;
    out.array(args.count - 1);
    for (let i = 1; i < args.count; i++) {
      const value = keyspace.get(args.latin1(i));
      if (value === undefined) out.nullBulk();
      else out.value(value);
    }
  },
};

const mset: RespCommand = {
  name: 'mset',
  arity: -3,
  info: { tips: ['request_policy:multi_shard', 'response_policy:all_succeeded'], flags: ['write', 'denyoom'], categories: ['@write', '@string', '@slow'], keys: [1, -1, 2], keySpec: ['OW', 'update'] },
  run(ctx, args) {
    if (args.count % 2 === 0) {
      ctx.out.error(wrongArity('mset'));
      return;
    }
    for (let i = 1; i < args.count; i += 2) ctx.keyspace.set(args.latin1(i), args.value(i + 1));
    ctx.out.ok();
  },
};

/** A stored value as Redis's string2ll reads it: the integer, or NaN. */
function integerOf(value: Value): number {
  if (typeof value !== 'string') return parseInteger(value, 0, value.length);
  const length = value.length;
  if (length === 0 || length > 20) return NaN;
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = value.charCodeAt(i);
  return parseInteger(bytes, 0, length);
}

/** Adds `delta` to the integer stored at `key` (0 when missing), keeping the key's TTL, as Redis's incrDecrCommand. */
function incrBy(ctx: CommandContext, key: string, delta: number | bigint): void {
  const { keyspace, out } = ctx;
  const value = keyspace.get(key);
  let current = 0;
  if (value !== undefined) {
    current = integerOf(value);
    if (Number.isNaN(current)) {
      out.error(CommandError.NOT_INTEGER);
      return;
    }
  }
  let result: number | bigint = typeof delta === 'number' ? current + delta : NaN;
  if (!Number.isSafeInteger(current) || !Number.isSafeInteger(result)) {
    // Near the 64-bit limits: exact arithmetic and Redis's overflow error.
    const exact = Number.isSafeInteger(current) ? BigInt(current) : BigInt(value!.toString('latin1'));
    result = exact + BigInt(delta);
    if (result > LLONG_MAX || result < LLONG_MIN) {
      out.error(CommandError.OVERFLOW);
      return;
    }
  }
  // V8 caches the strings of small numbers: a counter costs no allocation per increment.
  const digits = String(result);
  if (value !== undefined) keyspace.replace(key, digits);
  else keyspace.set(key, digits);
  out.integer(result);
}

/** The increment argument of INCRBY/DECRBY, or undefined after replying an error. */
function increment(ctx: CommandContext, args: RespArgs): number | bigint | undefined {
  const n = args.integer(2);
  if (Number.isNaN(n)) {
    ctx.out.error(CommandError.NOT_INTEGER);
    return undefined;
  }
  return Number.isSafeInteger(n) ? n : args.bigint(2);
}

const incr: RespCommand = {
  name: 'incr',
  arity: 2,
  info: WRITE_FAST,
  run(ctx, args) {
    incrBy(ctx, args.latin1(1), 1);
  },
};

const decr: RespCommand = {
  name: 'decr',
  arity: 2,
  info: WRITE_FAST,
  run(ctx, args) {
    incrBy(ctx, args.latin1(1), -1);
  },
};

const incrby: RespCommand = {
  name: 'incrby',
  arity: 3,
  info: WRITE_FAST,
  run(ctx, args) {
    const delta = increment(ctx, args);
    if (delta !== undefined) incrBy(ctx, args.latin1(1), delta);
  },
};

const decrby: RespCommand = {
  name: 'decrby',
  arity: 3,
  info: WRITE_FAST,
  run(ctx, args) {
    const delta = increment(ctx, args);
    if (delta === undefined) return;
    if (delta === LLONG_MIN) {
      ctx.out.error(CommandError.DECREMENT_OVERFLOW);
      return;
    }
    incrBy(ctx, args.latin1(1), -delta);
  },
};

const strlen: RespCommand = {
  name: 'strlen',
  arity: 2,
  info: { ...READ_FAST, keySpec: ['RO'] },
  run(ctx, args) {
    ctx.out.integer(ctx.keyspace.get(args.latin1(1))?.length ?? 0);
  },
};

const append: RespCommand = {
  name: 'append',
  arity: 3,
  info: { ...WRITE_FAST, keySpec: ['RW', 'insert'] },
  run(ctx, args) {
    const { keyspace, out } = ctx;
    const key = args.latin1(1);
    const current = keyspace.get(key);
    if (current === undefined) {
      const value = args.value(2);
      keyspace.set(key, value);
      out.integer(value.length);
      return;
    }
    const length = current.length + args.length(2);
    if (length > MAX_STRING) {
      out.error('ERR string exceeds maximum allowed size (proto-max-bulk-len)');
      return;
    }
    keyspace.replace(key, appended(current, args, 2, length));
    out.integer(length);
  },
};

/**
 * `current` with argument `i` after it. Short results stay strings; a Buffer grows into spare room it was given
 * (twice what it needed, as Redis's sds grows), so appending to a long value costs the new bytes only. Writing
 * past a stored view never changes the bytes of that view or of an older, shorter one, which a reply or a DIGEST
 * may still hold.
 */
function appended(current: Value, args: RespArgs, i: number, length: number): Value {
  if (typeof current === 'string' && length <= 1024) return current + args.latin1(i);
  const tail = args.buffer(i);
  if (typeof current !== 'string' && current.byteOffset === 0 && current.buffer.byteLength >= length) {
    const grown = Buffer.from(current.buffer, 0, length);
    grown.set(tail, current.length);
    return grown;
  }
  const grown = Buffer.from(Buffer.allocUnsafeSlow(Math.min(MAX_STRING, length * 2)).buffer, 0, length);
  if (typeof current === 'string') grown.write(current, 0, 'latin1');
  else grown.set(current, 0);
  grown.set(tail, current.length);
  return grown;
}

const getdel: RespCommand = {
  name: 'getdel',
  arity: 2,
  info: { flags: ['write', 'fast'], categories: ['@write', '@string', '@fast'], keys: [1, 1, 1], keySpec: ['RW', 'access', 'delete'] },
  run(ctx, args) {
    const key = args.latin1(1);
    const value = ctx.keyspace.get(key);
    if (value === undefined) {
      ctx.out.nullBulk();
      return;
    }
    ctx.out.value(value);
    ctx.keyspace.delete(key);
  },
};

/** DIGEST key [rounds]: the hex SHA-256 of the value, iterated; a null reply when the key is missing. */
const digestCommand: RespCommand = {
  name: 'digest',
  arity: -2,
  // Its reply may come later than the commands after it are run: it cannot take a place inside EXEC's reply.
  noMulti: true,
  info: { flags: ['readonly', 'no_multi'], categories: ['@read', '@string', '@slow'], keys: [1, 1, 1], keySpec: ['RO', 'access'] },
  run(ctx, args) {
    const { keyspace, out } = ctx;
    if (args.count > 3) {
      out.error(CommandError.SYNTAX);
      return;
    }
    let rounds = 1;
    if (args.count === 3) {
      rounds = args.integer(2);
      if (Number.isNaN(rounds)) {
        out.error(CommandError.NOT_INTEGER);
        return;
      }
      if (rounds < 1 || rounds > MAX_DIGEST_ROUNDS) {
        out.error(`ERR rounds must be between 1 and ${MAX_DIGEST_ROUNDS}`);
        return;
      }
    }
    const value = keyspace.get(args.latin1(1));
    // The value is read here, in order with the other commands; only the hashing may run elsewhere.
    if (value === undefined) out.nullBulk();
    else if (!ctx.defer({ value, rounds })) out.bulkString(digest(value, rounds));
  },
};

/**
 * The string commands: GET, SET (NX, XX, GET, KEEPTTL, EX, PX, EXAT, PXAT), MGET, MSET, INCR, DECR, INCRBY,
 * DECRBY, STRLEN, APPEND, GETDEL, and DIGEST (this server's CPU-heavy command; see {@link digest}). Replies and
 * errors are Redis 7's.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { stringCommands } from './stringCommands.js';
 *
 * const table = new CommandTable(stringCommands);
 * console.log(table.lookup(Buffer.from('INCRBY'))?.arity); // 3
 * ```
 *
 * @internal
 */
export const stringCommands: readonly RespCommand[] = [
  get, set, mget, mset, incr, decr, incrby, decrby, strlen, append, getdel, digestCommand,
];
