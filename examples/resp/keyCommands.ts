import { CommandError, cString, invalidExpireTime } from './commandErrors.js';
import { NO_EXPIRY } from './Keyspace.js';
import { LLONG_MAX, LLONG_MIN } from './parseInteger.js';
import type { RespArgs } from './RespArgs.js';
import { globMatch } from './globMatch.js';
import type { CommandContext, CommandInfo, RespCommand } from './RespCommand.js';

// EXPIRE flags, as in Redis's parseExtendedExpireArgumentsOrReply.
const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

const KEY_READ: CommandInfo = { flags: ['readonly', 'fast'], categories: ['@keyspace', '@read', '@fast'], keys: [1, 1, 1], keySpec: ['RO', 'access'] };
const KEY_WRITE: CommandInfo = { flags: ['write', 'fast'], categories: ['@keyspace', '@write', '@fast'], keys: [1, 1, 1], keySpec: ['RW', 'update'] };
const FLUSH: CommandInfo = {
  flags: ['write'],
  categories: ['@keyspace', '@write', '@slow', '@dangerous'],
  tips: ['request_policy:all_shards', 'response_policy:all_succeeded'],
};

const del: RespCommand = {
  name: 'del',
  arity: -2,
  info: { tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], flags: ['write'], categories: ['@keyspace', '@write', '@slow'], keys: [1, -1, 1], keySpec: ['RM', 'delete'] },
  run(ctx, args) {
    let removed = 0;
    for (let i = 1; i < args.count; i++) if (ctx.keyspace.delete(args.latin1(i))) removed++;
    ctx.out.integer(removed);
  },
};

const exists: RespCommand = {
  name: 'exists',
  arity: -2,
  info: { tips: ['request_policy:multi_shard', 'response_policy:agg_sum'], ...KEY_READ, keys: [1, -1, 1], keySpec: ['RO'] },
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
  const current = keyspace.expiresAt(key);
  if (current === undefined) {
    out.integer(0);
    return;
  }
  const expiresAt = Number(when);
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
  info: KEY_WRITE,
  run(ctx, args) {
    expireGeneric(ctx, args, 1000, 'expire');
  },
};

const pexpire: RespCommand = {
  name: 'pexpire',
  arity: -3,
  info: KEY_WRITE,
  run(ctx, args) {
    expireGeneric(ctx, args, 1, 'pexpire');
  },
};

/** Redis's ttlGenericCommand: -2 for a missing key, -1 for no TTL, else the time left (seconds rounded). */
function ttlGeneric(ctx: CommandContext, args: RespArgs, unit: 1 | 1000): void {
  const expiresAt = ctx.keyspace.expiresAt(args.latin1(1));
  if (expiresAt === undefined) ctx.out.integer(-2);
  else if (expiresAt === NO_EXPIRY) ctx.out.integer(-1);
  else {
    const left = Math.max(0, expiresAt - ctx.keyspace.now());
    ctx.out.integer(unit === 1 ? left : Math.floor((left + 500) / 1000));
  }
}

const ttl: RespCommand = {
  name: 'ttl',
  arity: 2,
  info: { tips: ['nondeterministic_output'], ...(KEY_READ) },
  run(ctx, args) {
    ttlGeneric(ctx, args, 1000);
  },
};

const pttl: RespCommand = {
  name: 'pttl',
  arity: 2,
  info: { tips: ['nondeterministic_output'], ...(KEY_READ) },
  run(ctx, args) {
    ttlGeneric(ctx, args, 1);
  },
};

const persist: RespCommand = {
  name: 'persist',
  arity: 2,
  info: KEY_WRITE,
  run(ctx, args) {
    const key = args.latin1(1);
    const expiresAt = ctx.keyspace.expiresAt(key);
    if (expiresAt === undefined || expiresAt === NO_EXPIRY) ctx.out.integer(0);
    else {
      ctx.keyspace.expire(key, NO_EXPIRY);
      ctx.out.integer(1);
    }
  },
};

const dbsize: RespCommand = {
  name: 'dbsize',
  arity: 1,
  info: { tips: ['request_policy:all_shards', 'response_policy:agg_sum'], flags: ['readonly', 'fast'], categories: ['@keyspace', '@read', '@fast'] },
  run(ctx) {
    ctx.out.integer(ctx.keyspace.size);
  },
};

/** FLUSHDB / FLUSHALL [ASYNC|SYNC]: the selected database, or all of them; the mode is accepted and ignored. */
function flush(ctx: CommandContext, args: RespArgs, all: boolean): void {
  if (args.count > 2 || (args.count === 2 && !args.is(1, 'sync') && !args.is(1, 'async'))) {
    ctx.out.error(CommandError.SYNTAX);
    return;
  }
  if (all) for (const db of ctx.state.databases) db.clear();
  else ctx.keyspace.clear();
  ctx.out.ok();
}

const flushdb: RespCommand = { name: 'flushdb', arity: -1, info: FLUSH, run: (ctx, args) => flush(ctx, args, false) };
const flushall: RespCommand = { name: 'flushall', arity: -1, info: FLUSH, run: (ctx, args) => flush(ctx, args, true) };

const keys: RespCommand = {
  name: 'keys',
  arity: 2,
  info: { tips: ['request_policy:all_shards', 'nondeterministic_output_order'], flags: ['readonly'], categories: ['@keyspace', '@read', '@slow', '@dangerous'] },
  run(ctx, args) {
    const pattern = args.latin1(1);
    const all = pattern === '*';
    const found: string[] = [];
    ctx.keyspace.keys((key) => {
      if (all || globMatch(pattern, key, false)) found.push(key);
    });
    ctx.out.array(found.length);
    for (const key of found) ctx.out.bulkString(key);
  },
};

const scan: RespCommand = {
  name: 'scan',
  arity: -2,
  info: { tips: ['nondeterministic_output', 'request_policy:special'], flags: ['readonly'], categories: ['@keyspace', '@read', '@slow'] },
  run(ctx, args) {
    const { out } = ctx;
    const text = args.latin1(1);
    // Redis reads the cursor with strtoull: digits only, up to 2^64 - 1.
    if (!/^[0-9]+$/.test(text) || BigInt(text) > 18446744073709551615n) {
      out.error('ERR invalid cursor');
      return;
    }
    let count = 10;
    let pattern: string | undefined;
    let type: string | undefined;
    for (let j = 2; j < args.count; j++) {
      const more = args.count - j - 1;
      if (args.is(j, 'count') && more >= 1) {
        count = args.integer(++j);
        if (Number.isNaN(count)) {
          out.error(CommandError.NOT_INTEGER);
          return;
        }
        if (count < 1) {
          out.error(CommandError.SYNTAX);
          return;
        }
      } else if (args.is(j, 'match') && more >= 1) {
        pattern = args.latin1(++j);
        if (pattern === '*') pattern = undefined;
      } else if (args.is(j, 'type') && more >= 1) {
        type = args.latin1(++j).toLowerCase();
      } else {
        out.error(CommandError.SYNTAX);
        return;
      }
    }
    const found: string[] = [];
    const next = ctx.keyspace.scan(Number(text), count, (key) => {
      // Every key here is a string: TYPE string matches them all, any other type none.
      if ((pattern === undefined || globMatch(pattern, key, false)) && (type === undefined || type === 'string')) found.push(key);
    });
    out.array(2);
    out.bulkString(String(next));
    out.array(found.length);
    for (const key of found) out.bulkString(key);
  },
};

const type: RespCommand = {
  name: 'type',
  arity: 2,
  info: { ...KEY_READ, keySpec: ['RO'] },
  run(ctx, args) {
    ctx.out.simple(ctx.keyspace.has(args.latin1(1)) ? 'string' : 'none');
  },
};

/**
 * The keyspace commands: DEL, EXISTS, EXPIRE and PEXPIRE (with NX, XX, GT, LT), TTL, PTTL, PERSIST, DBSIZE,
 * FLUSHDB, FLUSHALL, KEYS, SCAN (MATCH, COUNT, TYPE) and TYPE. Replies and errors are Redis 7's.
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
export const keyCommands: readonly RespCommand[] = [
  del, exists, expire, pexpire, ttl, pttl, persist, dbsize, flushdb, flushall, keys, scan, type,
];
