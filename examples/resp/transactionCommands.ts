import type { CommandInfo, RespCommand } from './RespCommand.js';

const CONTROL: CommandInfo = {
  flags: ['noscript', 'loading', 'stale', 'fast', 'allow_busy'],
  categories: ['@fast', '@transaction'],
};

const multi: RespCommand = {
  name: 'multi',
  arity: 1,
  transactionControl: true,
  info: CONTROL,
  run(ctx) {
    if (ctx.queued !== undefined) {
      ctx.out.error('ERR MULTI calls can not be nested');
      return;
    }
    ctx.queued = [];
    ctx.transactionFailed = false;
    ctx.out.ok();
  },
};

const exec: RespCommand = {
  name: 'exec',
  arity: 1,
  transactionControl: true,
  info: { flags: ['noscript', 'loading', 'stale', 'skip_slowlog'], categories: ['@slow', '@transaction'] },
  run(ctx) {
    const { out } = ctx;
    const queued = ctx.queued;
    if (queued === undefined) {
      out.error('ERR EXEC without MULTI');
      return;
    }
    ctx.queued = undefined;
    if (ctx.transactionFailed) {
      ctx.transactionFailed = false;
      ctx.unwatchAll();
      out.error('EXECABORT Transaction discarded because of previous errors.');
      return;
    }
    // A watched key changed since WATCH: nothing runs, and the reply is a null array.
    if (ctx.watchFailed) {
      ctx.unwatchAll();
      out.nullArray();
      return;
    }
    ctx.unwatchAll();
    out.array(queued.length);
    ctx.runQueued(queued);
  },
};

const discard: RespCommand = {
  name: 'discard',
  arity: 1,
  transactionControl: true,
  info: CONTROL,
  run(ctx) {
    if (ctx.queued === undefined) {
      ctx.out.error('ERR DISCARD without MULTI');
      return;
    }
    ctx.queued = undefined;
    ctx.transactionFailed = false;
    ctx.unwatchAll();
    ctx.out.ok();
  },
};

const watch: RespCommand = {
  name: 'watch',
  arity: -2,
  transactionControl: true,
  info: { ...CONTROL, keys: [1, -1, 1], keySpec: ['RO'] },
  run(ctx, args) {
    if (ctx.queued !== undefined) {
      ctx.out.error('ERR WATCH inside MULTI is not allowed');
      return;
    }
    for (let i = 1; i < args.count; i++) ctx.watch(args.latin1(i));
    ctx.out.ok();
  },
};

const unwatch: RespCommand = {
  name: 'unwatch',
  arity: 1,
  info: CONTROL,
  run(ctx) {
    ctx.unwatchAll();
    ctx.out.ok();
  },
};

/**
 * Transactions, as Redis 7 runs them: MULTI queues the commands that follow (each answered `+QUEUED`; one
 * refused while queueing dooms the transaction to `-EXECABORT`), EXEC runs them all at once, with no other
 * connection's command in between, and replies with their replies; DISCARD drops them. WATCH makes the next EXEC
 * fail (a null reply, nothing run) when a watched key is written, deleted or expires first; UNWATCH forgets.
 *
 * ## Example
 * ```ts
 * import { ServerState } from './ServerState.js';
 * import { RespSession } from './RespSession.js';
 *
 * const session = new RespSession(new ServerState());
 * const reply = session.handle(Buffer.from('MULTI\r\nSET k 1\r\nINCR k\r\nEXEC\r\n'));
 * console.log(JSON.stringify(reply.toString())); // "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n"
 * ```
 *
 * @internal
 */
export const transactionCommands: readonly RespCommand[] = [multi, exec, discard, watch, unwatch];
