import { CommandError, cString, invalidExpireTime } from './commandErrors.js';
import { NO_EXPIRY } from './Keyspace.js';
import { LLONG_MAX, LLONG_MIN } from './parseInteger.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext, RespCommand } from './RespCommand.js';

// EXPIRE flags, as in Redis's parseExtendedExpireArgumentsOrReply.
const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

const del: RespCommand = {
  name: 'del',
  arity: -2,
  run(ctx, args) {
    let removed = 0;
    for (let i = 1; i < args.count; i++) if (ctx.keyspace.delete(args.latin1(i))) removed++;
    ctx.out.integer(removed);
  },
};

const exists: RespCommand = {
  name: 'exists',
  arity: -2,
  run(ctx, args) {
    // A key named twice counts twice, as in Redis.
    let found = 0;
    for (let i = 1; i < args.count; i++) if (ctx.keyspace.has(args.latin1(i))) found++;
    ctx.out.integer(found);
  },
};

/** Redis's expireGenericCommand for a relative time: `unit` is 1000 for seconds, 1 for milliseconds. */
function expireGeneric(ctx: CommandContext, args: RespArgs, unit: 1 | 1000, name: string): void {
  const { keyspace, out } = ctx;
  let flags = 0;
  for (let j = 3; j < args.count; j++) {
    if (args.is(j, 'nx')) flags |= NX;
    else if (args.is(j, 'xx')) flags |= XX;
    else if (args.is(j, 'gt')) flags |= GT;
    else if (args.is(j, 'lt')) flags |= LT;
    else {
      out.error(`ERR Unsupported option ${cString(args.buffer(j), args.length(j))}`);
      return;
    }
  }
  if ((flags & NX) !== 0 && (flags & (XX | GT | LT)) !== 0) {
    out.error('ERR NX and XX, GT or LT options at the same time are not compatible');
    return;
  }
  if ((flags & GT) !== 0 && (flags & LT) !== 0) {
    out.error('ERR GT and LT options at the same time are not compatible');
    return;
  }
  const n = args.integer(2);
  if (Number.isNaN(n)) {
    out.error(CommandError.NOT_INTEGER);
    return;
  }
  // Exact 64-bit arithmetic, so the overflow checks answer as Redis's do.
  let when = Number.isSafeInteger(n) ? BigInt(n) : args.bigint(2);
  if (unit === 1000) {
    if (when > LLONG_MAX / 1000n || when < LLONG_MIN / 1000n) {
      out.error(invalidExpireTime(name));
      return;
    }
    when *= 1000n;
  }
  const now = keyspace.now();
  if (when > LLONG_MAX - BigInt(now)) {
    out.error(invalidExpireTime(name));
    return;
  }
  when += BigInt(now);
  const key = args.latin1(1);
  const entry = keyspace.entry(key);
  if (entry === undefined) {
    out.integer(0);
    return;
  }
  const expiresAt = Number(when);
  const current = entry.expiresAt;
  // A key without a TTL counts as expiring never: GT always fails, LT always succeeds.
  if (
    ((flags & NX) !== 0 && current !== NO_EXPIRY) ||
    ((flags & XX) !== 0 && current === NO_EXPIRY) ||
    ((flags & GT) !== 0 && (current === NO_EXPIRY || expiresAt <= current)) ||
    ((flags & LT) !== 0 && current !== NO_EXPIRY && expiresAt >= current)
  ) {
    out.integer(0);
    return;
  }
  if (expiresAt <= now) keyspace.delete(key);
  else keyspace.expire(key, expiresAt);
  out.integer(1);
}

const expire: RespCommand = {
  name: 'expire',
  arity: -3,
  run(ctx, args) {
    expireGeneric(ctx, args, 1000, 'expire');
  },
};

const pexpire: RespCommand = {
  name: 'pexpire',
  arity: -3,
  run(ctx, args) {
    expireGeneric(ctx, args, 1, 'pexpire');
  },
};

/** Redis's ttlGenericCommand: -2 for a missing key, -1 for no TTL, else the time left (seconds rounded). */
function ttlGeneric(ctx: CommandContext, args: RespArgs, unit: 1 | 1000): void {
  const entry = ctx.keyspace.entry(args.latin1(1));
  if (entry === undefined) ctx.out.integer(-2);
  else if (entry.expiresAt === NO_EXPIRY) ctx.out.integer(-1);
  else {
    const left = Math.max(0, entry.expiresAt - ctx.keyspace.now());
    ctx.out.integer(unit === 1 ? left : Math.floor((left + 500) / 1000));
  }
}

const ttl: RespCommand = {
  name: 'ttl',
  arity: 2,
  run(ctx, args) {
    ttlGeneric(ctx, args, 1000);
  },
};

const pttl: RespCommand = {
  name: 'pttl',
  arity: 2,
  run(ctx, args) {
    ttlGeneric(ctx, args, 1);
  },
};

const dbsize: RespCommand = {
  name: 'dbsize',
  arity: 1,
  run(ctx) {
    ctx.out.integer(ctx.keyspace.size);
  },
};

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: both flush the one database; the mode is accepted and ignored. */
function flush(ctx: CommandContext, args: RespArgs): void {
  if (args.count > 2 || (args.count === 2 && !args.is(1, 'sync') && !args.is(1, 'async'))) {
    ctx.out.error(CommandError.SYNTAX);
    return;
  }
  ctx.keyspace.clear();
  ctx.out.ok();
}

const flushdb: RespCommand = { name: 'flushdb', arity: -1, run: flush };
const flushall: RespCommand = { name: 'flushall', arity: -1, run: flush };

/**
 * The keyspace commands: DEL, EXISTS, EXPIRE and PEXPIRE (with NX, XX, GT, LT), TTL, PTTL, DBSIZE, FLUSHDB and
 * FLUSHALL. Replies and errors are Redis 7's.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { keyCommands } from './keyCommands.js';
 *
 * const table = new CommandTable(keyCommands);
 * console.log(table.lookup(Buffer.from('ttl'))?.arity); // 2
 * ```
 *
 * @internal
 */
export const keyCommands: readonly RespCommand[] = [del, exists, expire, pexpire, ttl, pttl, dbsize, flushdb, flushall];
