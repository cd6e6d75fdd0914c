import { globMatch } from './globMatch.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext, CommandInfo, RespCommand } from './RespCommand.js';

const SUBSCRIBING: CommandInfo = { flags: ['pubsub', 'noscript', 'loading', 'stale'], categories: ['@pubsub', '@slow'] };
const INTROSPECTION: CommandInfo = { flags: ['pubsub', 'loading', 'stale'], categories: ['@pubsub', '@slow'] };

/** The confirmation Redis sends for each (un)subscription: `kind name count`, a push in RESP3. */
function confirm(ctx: CommandContext, kind: string, name: string | undefined): void {
  const { out } = ctx;
  out.push(3);
  out.bulkString(kind);
  if (name === undefined) out.nullBulk();
  else out.bulkString(name);
  out.integer(ctx.channels.size + ctx.patterns.size);
}

function subscribeAll(ctx: CommandContext, args: RespArgs, pattern: boolean): void {
  const kind = pattern ? 'psubscribe' : 'subscribe';
  for (let i = 1; i < args.count; i++) {
    const name = args.latin1(i);
    ctx.subscribe(name, pattern);
    confirm(ctx, kind, name);
  }
}

function unsubscribeAll(ctx: CommandContext, args: RespArgs, pattern: boolean): void {
  const kind = pattern ? 'punsubscribe' : 'unsubscribe';
  const names = pattern ? ctx.patterns : ctx.channels;
  if (args.count === 1) {
    if (names.size === 0) {
      confirm(ctx, kind, undefined);
      return;
    }
    for (const name of [...names]) {
      ctx.unsubscribe(name, pattern);
      confirm(ctx, kind, name);
    }
    return;
  }
  for (let i = 1; i < args.count; i++) {
    const name = args.latin1(i);
    ctx.unsubscribe(name, pattern);
    confirm(ctx, kind, name);
  }
}

const subscribe: RespCommand = {
  name: 'subscribe',
  arity: -2,
  pubsubContext: true,
  info: SUBSCRIBING,
  run: (ctx, args) => subscribeAll(ctx, args, false),
};

const psubscribe: RespCommand = {
  name: 'psubscribe',
  arity: -2,
  pubsubContext: true,
  info: SUBSCRIBING,
  run: (ctx, args) => subscribeAll(ctx, args, true),
};

const unsubscribe: RespCommand = {
  name: 'unsubscribe',
  arity: -1,
  pubsubContext: true,
  info: SUBSCRIBING,
  run: (ctx, args) => unsubscribeAll(ctx, args, false),
};

const punsubscribe: RespCommand = {
  name: 'punsubscribe',
  arity: -1,
  pubsubContext: true,
  info: SUBSCRIBING,
  run: (ctx, args) => unsubscribeAll(ctx, args, true),
};

const publish: RespCommand = {
  name: 'publish',
  arity: 3,
  info: { flags: ['pubsub', 'loading', 'stale', 'fast'], categories: ['@pubsub', '@fast'] },
  run(ctx, args) {
    ctx.out.integer(ctx.state.channels.publish(args.latin1(1), args.buffer(2)));
  },
};

const pubsub: RespCommand = {
  name: 'pubsub',
  arity: -2,
  info: { flags: [], categories: ['@slow'] },
  subcommands: [
    {
      name: 'channels',
      arity: -2,
      info: INTROSPECTION,
      run(ctx, args) {
        const names = ctx.state.channels.activeChannels(args.count > 2 ? args.latin1(2) : undefined);
        ctx.out.array(names.length);
        for (const name of names) ctx.out.bulkString(name);
      },
    },
    {
      name: 'numsub',
      arity: -2,
      info: INTROSPECTION,
      run(ctx, args) {
        ctx.out.map(args.count - 2);
        for (let i = 2; i < args.count; i++) {
          const name = args.latin1(i);
          ctx.out.bulkString(name);
          ctx.out.integer(ctx.state.channels.subscriberCount(name));
        }
      },
    },
    {
      name: 'numpat',
      arity: 2,
      info: INTROSPECTION,
      run(ctx) {
        ctx.out.integer(ctx.state.channels.patternCount);
      },
    },
  ],
  run() {
    // The session runs the subcommand.
  },
};

/**
 * Pub/sub, as Redis 7 does it: SUBSCRIBE and PSUBSCRIBE (glob patterns) add the connection to the server's one
 * channel space, PUBLISH delivers to every subscriber of the channel and of each matching pattern and answers how
 * many deliveries it made, UNSUBSCRIBE and PUNSUBSCRIBE (all, without arguments) leave; PUBSUB CHANNELS, NUMSUB
 * and NUMPAT report. Messages are `message` / `pmessage` arrays in RESP2, where a subscribed connection may only
 * (un)subscribe, PING, QUIT and RESET, and push frames in RESP3, where any command may follow.
 *
 * ## Example
 * ```ts
 * import { ServerState } from './ServerState.js';
 * import { RespSession } from './RespSession.js';
 *
 * const state = new ServerState();
 * const reader = new RespSession(state);
 * reader.onPush = (frame) => console.log(JSON.stringify(frame.toString()));
 * reader.handle(Buffer.from('SUBSCRIBE news\r\n'));
 * new RespSession(state).handle(Buffer.from('PUBLISH news hello\r\n')); // "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
 * ```
 *
 * @internal
 */
export const pubsubCommands: readonly RespCommand[] = [subscribe, psubscribe, unsubscribe, punsubscribe, publish, pubsub];
