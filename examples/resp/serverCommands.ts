import { CommandError, wrongArity } from './commandErrors.js';
import { globMatch } from './globMatch.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext, CommandInfo, RespCommand } from './RespCommand.js';

/** The version this server reports: redis-cli and redis-benchmark only check that it looks like Redis 7. */
const REDIS_VERSION = '7.0.0';

const CONNECTION_FAST: CommandInfo = { flags: ['loading', 'stale', 'fast'], categories: ['@fast', '@connection'] };
const ALWAYS: CommandInfo = {
  flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
  categories: ['@fast', '@connection'],
};
const INTROSPECTION: CommandInfo = { flags: ['loading', 'stale'], categories: ['@slow', '@connection'] };
const UNORDERED: CommandInfo = { ...INTROSPECTION, tips: ['nondeterministic_output_order'] };
const ADMIN: CommandInfo = { flags: ['admin', 'noscript', 'loading', 'stale'], categories: ['@admin', '@slow', '@dangerous'] };
const CONTAINER: CommandInfo = { flags: [], categories: ['@slow'] };

/**
 * What `CONFIG GET` answers. redis-benchmark asks for `save` and `appendonly` and warns when it gets no answer;
 * the values say what is true here: nothing is persisted, and there are 16 databases.
 */
const CONFIG: readonly (readonly [string, string])[] = [
  ['appendonly', 'no'],
  ['databases', '16'],
  ['maxmemory', '0'],
  ['save', ''],
];

const ping: RespCommand = {
  name: 'ping',
  arity: -1,
  pubsubContext: true,
  info: { tips: ['request_policy:all_shards', 'response_policy:all_succeeded'], flags: ['fast'], categories: ['@fast', '@connection'] },
  run(ctx, args) {
    const { out } = ctx;
    if (args.count > 2) {
      out.error(wrongArity('ping'));
      return;
    }
    // A RESP2 connection in subscribed mode gets its PONG in the shape of a message.
    if (ctx.subscribed && ctx.protocol === 2) {
      out.array(2);
      out.bulkString('pong');
      if (args.count === 2) out.bulk(args.sources[1]!, args.starts[1], args.ends[1]);
      else out.bulkString('');
    } else if (args.count === 2) out.bulk(args.sources[1]!, args.starts[1], args.ends[1]);
    else out.pong();
  },
};

const echo: RespCommand = {
  name: 'echo',
  arity: 2,
  info: CONNECTION_FAST,
  run(ctx, args) {
    ctx.out.bulk(args.sources[1]!, args.starts[1], args.ends[1]);
  },
};

const select: RespCommand = {
  name: 'select',
  arity: 2,
  info: CONNECTION_FAST,
  run(ctx, args) {
    const index = args.integer(1);
    if (Number.isNaN(index)) ctx.out.error(CommandError.NOT_INTEGER);
    else if (index < -2147483648 || index > 2147483647) ctx.out.error(CommandError.INT_RANGE);
    else if (index < 0 || index >= ctx.state.databases.length) ctx.out.error(CommandError.DB_INDEX);
    else {
      ctx.select(index);
      ctx.out.ok();
    }
  },
};

const quit: RespCommand = {
  name: 'quit',
  arity: -1,
  pubsubContext: true,
  transactionControl: true,
  info: ALWAYS,
  run(ctx) {
    ctx.out.ok();
    ctx.quit();
  },
};

/** COMMAND's description of one command, in Redis 7's ten fields. */
function describe(ctx: CommandContext, command: RespCommand, name: string): void {
  const { out } = ctx;
  const info = command.info!;
  out.array(10);
  out.bulkString(name);
  out.integer(command.arity);
  out.set(info.flags.length);
  for (const flag of info.flags) out.simple(flag);
  const [first, last, step] = info.keys ?? [0, 0, 0];
  out.integer(first);
  out.integer(last);
  out.integer(step);
  out.set(info.categories.length);
  for (const category of info.categories) out.simple(category);
  const tips = info.tips ?? [];
  out.set(tips.length);
  for (const tip of tips) out.bulkString(tip);
  // The key spec of a command with keys: the range above.
  if (info.keys !== undefined && info.keySpec !== undefined) {
    out.set(1);
    out.map(info.keyNotes === undefined ? 3 : 4);
    if (info.keyNotes !== undefined) {
      out.bulkString('notes');
      out.bulkString(info.keyNotes);
    }
    out.bulkString('flags');
    out.set(info.keySpec.length);
    for (const flag of info.keySpec) out.simple(flag);
    out.bulkString('begin_search');
    out.map(2);
    out.bulkString('type');
    out.bulkString('index');
    out.bulkString('spec');
    out.map(1);
    out.bulkString('index');
    out.integer(first);
    out.bulkString('find_keys');
    out.map(2);
    out.bulkString('type');
    out.bulkString('range');
    out.bulkString('spec');
    out.map(3);
    out.bulkString('lastkey');
    out.integer(last < 0 ? last : last - first);
    out.bulkString('keystep');
    out.integer(step);
    out.bulkString('limit');
    out.integer(0);
  } else out.set(0);
  const subcommands = (command.subcommands ?? []).filter((sub) => sub.info !== undefined);
  out.set(subcommands.length);
  for (const sub of subcommands) describe(ctx, sub, `${name}|${sub.name}`);
}

function described(ctx: CommandContext): RespCommand[] {
  return ctx.commands.list.filter((command) => command.info !== undefined);
}

function listCommands(ctx: CommandContext): void {
  const list = described(ctx);
  ctx.out.array(list.length);
  for (const each of list) describe(ctx, each, each.name);
}

const commandSubcommands: readonly RespCommand[] = [
  {
    name: 'count',
    arity: 2,
    info: INTROSPECTION,
    run(ctx) {
      ctx.out.integer(described(ctx).length);
    },
  },
  {
    name: 'info',
    arity: -2,
    info: UNORDERED,
    run(ctx, args) {
      if (args.count === 2) {
        listCommands(ctx);
        return;
      }
      ctx.out.array(args.count - 2);
      for (let i = 2; i < args.count; i++) {
        const found = ctx.commands.lookup(args.sources[i]!, args.starts[i], args.ends[i]);
        if (found?.info === undefined) ctx.out.nullBulk();
        else describe(ctx, found, found.name);
      }
    },
  },
  {
    name: 'list',
    arity: -2,
    info: UNORDERED,
    run(ctx, args) {
      let names = described(ctx).map((each) => each.name);
      if (args.count === 5 && args.is(2, 'filterby') && args.is(3, 'pattern')) {
        const pattern = args.latin1(4);
        names = names.filter((name) => globMatch(pattern, name));
      } else if (args.count !== 2) {
        ctx.out.error(CommandError.SYNTAX);
        return;
      }
      ctx.out.array(names.length);
      for (const name of names) ctx.out.bulkString(name);
    },
  },
  {
    // redis-cli asks for the docs to build its hints; an empty answer makes it use its built-in ones.
    name: 'docs',
    arity: -2,
    info: UNORDERED,
    run(ctx) {
      ctx.out.map(0);
    },
  },
];
/** `COMMAND` alone lists every command; with a word, the session runs that subcommand. */
const command: RespCommand = {
  name: 'command',
  arity: -1,
  info: UNORDERED,
  subcommands: commandSubcommands,
  run: listCommands,
};

const configSubcommands: readonly RespCommand[] = [
  {
    name: 'get',
    arity: -3,
    info: ADMIN,
    run(ctx, args) {
      // As Redis: a plain name is looked up and answered as it was typed; a glob answers the canonical names.
      const found = new Map<string, readonly [string, string]>();
      for (let i = 2; i < args.count; i++) {
        const pattern = args.latin1(i);
        if (!/[[*?]/.test(pattern)) {
          const known = CONFIG.find(([name]) => name === pattern.toLowerCase());
          if (known !== undefined && !found.has(known[0])) found.set(known[0], [pattern, known[1]]);
          continue;
        }
        for (const known of CONFIG) {
          if (!found.has(known[0]) && globMatch(pattern, known[0])) found.set(known[0], known);
        }
      }
      ctx.out.map(found.size);
      for (const [name, value] of found.values()) {
        ctx.out.bulkString(name);
        ctx.out.bulkString(value);
      }
    },
  },
  {
    // Nothing here can change; setting a parameter to the value it has is accepted, as scripts do for `save`.
    name: 'set',
    arity: -4,
    info: { ...ADMIN, tips: ['request_policy:all_nodes', 'response_policy:all_succeeded'] },
    run(ctx, args) {
      if (args.count % 2 !== 0) {
        ctx.out.error(CommandError.SYNTAX);
        return;
      }
      for (let i = 2; i < args.count; i += 2) {
        const name = args.latin1(i);
        const known = CONFIG.find(([candidate]) => candidate === name.toLowerCase());
        if (known === undefined) {
          ctx.out.error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`);
          return;
        }
        if (args.latin1(i + 1) !== known[1]) {
          ctx.out.error(`ERR CONFIG SET failed (possibly related to argument '${known[0]}') - not supported here`);
          return;
        }
      }
      ctx.out.ok();
    },
  },
  {
    name: 'resetstat',
    arity: 2,
    info: ADMIN,
    run(ctx) {
      ctx.out.ok();
    },
  },
];

const config: RespCommand = {
  name: 'config',
  arity: -2,
  info: CONTAINER,
  subcommands: configSubcommands,
  run() {
    // The session runs the subcommand.
  },
};

const info: RespCommand = {
  name: 'info',
  arity: -1,
  info: { tips: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'], flags: ['loading', 'stale'], categories: ['@slow', '@dangerous'] },
  run(ctx, args) {
    const names: string[] = [];
    for (let i = 1; i < args.count; i++) names.push(args.latin1(i).toLowerCase());
    if (names.length === 0) names.push('default');
    const every = names.some((name) => name === 'default' || name === 'all' || name === 'everything');
    const sections: string[] = [];
    const { state } = ctx;
    if (every || names.includes('server')) {
      sections.push(`# Server\r\nredis_version:${REDIS_VERSION}\r\nredis_mode:standalone\r\narch_bits:64\r\n`);
    }
    if (every || names.includes('clients')) {
      let pubsub = 0;
      for (const client of state.clients.values()) if (client.subscribed) pubsub++;
      sections.push(`# Clients\r\nconnected_clients:${state.clients.size}\r\npubsub_clients:${pubsub}\r\n`);
    }
    if (every || names.includes('stats')) {
      let expired = 0;
      for (const db of state.databases) expired += db.expiredKeys;
      sections.push(
        `# Stats\r\nexpired_keys:${expired}\r\npubsub_channels:${state.channels.channelCount}\r\n` +
          `pubsub_patterns:${state.channels.patternCount}\r\n`,
      );
    }
    if (every || names.includes('keyspace')) {
      let lines = '';
      state.databases.forEach((db, i) => {
        if (db.size > 0) lines += `db${i}:keys=${db.size},expires=${db.expiringSize},avg_ttl=0\r\n`;
      });
      sections.push(`# Keyspace\r\n${lines}`);
    }
    ctx.out.verbatim(sections.join('\r\n'));
  },
};

/** HELLO [protover [AUTH username password] [SETNAME clientname]], as Redis 7.0's helloCommand. */
const hello: RespCommand = {
  name: 'hello',
  arity: -1,
  info: ALWAYS,
  run(ctx, args) {
    const { out } = ctx;
    let protocol = 0;
    let next = 1;
    if (args.count >= 2) {
      protocol = args.integer(next++);
      if (Number.isNaN(protocol)) {
        out.error('ERR Protocol version is not an integer or out of range');
        return;
      }
      if (protocol < 2 || protocol > 3) {
        out.error('NOPROTO unsupported protocol version');
        return;
      }
    }
    for (let j = next; j < args.count; j++) {
      const more = args.count - 1 - j;
      if (args.is(j, 'auth') && more >= 2) {
        // No password is set: the default user takes any password, and there are no other users.
        if (!args.is(j + 1, 'default')) {
          out.error('WRONGPASS invalid username-password pair or user is disabled.');
          return;
        }
        j += 2;
      } else if (args.is(j, 'setname') && more >= 1) {
        if (!setName(ctx, args, j + 1)) return;
        j++;
      } else {
        out.error(`ERR Syntax error in HELLO option '${args.latin1(j)}'`);
        return;
      }
    }
    if (protocol !== 0) ctx.setProtocol(protocol as 2 | 3);
    out.map(7);
    out.bulkString('server');
    out.bulkString('redis');
    out.bulkString('version');
    out.bulkString(REDIS_VERSION);
    out.bulkString('proto');
    out.integer(ctx.protocol);
    out.bulkString('id');
    out.integer(ctx.id);
    out.bulkString('mode');
    out.bulkString('standalone');
    out.bulkString('role');
    out.bulkString('master');
    out.bulkString('modules');
    out.array(0);
  },
};

/** CLIENT SETNAME's rule: printable ASCII without spaces, or empty to clear. False after replying the error. */
function setName(ctx: CommandContext, args: RespArgs, i: number): boolean {
  const name = args.latin1(i);
  if (!/^[!-~]*$/.test(name)) {
    ctx.out.error('ERR Client names cannot contain spaces, newlines or special characters.');
    return false;
  }
  ctx.name = name;
  return true;
}

/** One line of CLIENT LIST, with Redis 7.0's fields; what this server does not track reads 0 (or -1 for fd). */
function clientLine(client: CommandContext, now: number): string {
  let flags = '';
  if (client.subscribed) flags += 'P';
  if (client.queued !== undefined) flags += 'x';
  if (client.watchFailed) flags += 'd';
  const multi = client.queued === undefined ? -1 : client.queued.length;
  return (
    `id=${client.id} addr=${client.addr} laddr=${client.laddr} fd=-1 name=${client.name} ` +
    `age=${Math.floor((now - client.createdAt) / 1000)} idle=${Math.floor((now - client.lastActive) / 1000)} ` +
    `flags=${flags === '' ? 'N' : flags} db=${client.db} sub=${client.channels.size} psub=${client.patterns.size} ` +
    `ssub=0 multi=${multi} qbuf=${client.buffered} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 ` +
    `omem=0 tot-mem=0 events=r cmd=${client.lastCommand} user=default redir=-1 resp=${client.protocol}\n`
  );
}

const NO_SCRIPT: CommandInfo = { flags: ['noscript', 'loading', 'stale'], categories: ['@slow', '@connection'] };

const clientSubcommands: readonly RespCommand[] = [
  {
    name: 'id',
    arity: 2,
    info: NO_SCRIPT,
    run(ctx) {
      ctx.out.integer(ctx.id);
    },
  },
  {
    name: 'info',
    arity: 2,
    info: { ...NO_SCRIPT, tips: ['nondeterministic_output'] },
    run(ctx) {
      ctx.out.verbatim(clientLine(ctx, ctx.state.tick()));
    },
  },
  {
    name: 'list',
    arity: -2,
    info: { ...ADMIN, categories: [...ADMIN.categories, '@connection'], tips: ['nondeterministic_output'] },
    run(ctx, args) {
      let clients = [...ctx.state.clients.values()];
      if (args.count === 4 && args.is(2, 'type')) {
        const type = args.latin1(3).toLowerCase();
        if (type === 'pubsub') clients = clients.filter((client) => client.subscribed);
        else if (type === 'normal') clients = clients.filter((client) => !client.subscribed);
        else if (type === 'master' || type === 'replica' || type === 'slave') clients = [];
        else {
          ctx.out.error(`ERR Unknown client type '${args.latin1(3)}'`);
          return;
        }
      } else if (args.count >= 4 && args.is(2, 'id')) {
        const ids = new Set<number>();
        for (let i = 3; i < args.count; i++) {
          const id = args.integer(i);
          if (Number.isNaN(id) || id <= 0) {
            ctx.out.error('ERR Invalid client ID');
            return;
          }
          ids.add(id);
        }
        clients = clients.filter((client) => ids.has(client.id));
      } else if (args.count !== 2) {
        ctx.out.error(CommandError.SYNTAX);
        return;
      }
      const now = ctx.state.tick();
      ctx.out.verbatim(clients.map((client) => clientLine(client, now)).join(''));
    },
  },
  {
    name: 'setname',
    arity: 3,
    info: NO_SCRIPT,
    run(ctx, args) {
      if (setName(ctx, args, 2)) ctx.out.ok();
    },
  },
  {
    name: 'getname',
    arity: 2,
    info: NO_SCRIPT,
    run(ctx) {
      if (ctx.name === '') ctx.out.nullBulk();
      else ctx.out.bulkString(ctx.name);
    },
  },
];

const client: RespCommand = {
  name: 'client',
  arity: -2,
  info: CONTAINER,
  subcommands: clientSubcommands,
  run() {
    // The session runs the subcommand.
  },
};

const reset: RespCommand = {
  name: 'reset',
  arity: 1,
  pubsubContext: true,
  transactionControl: true,
  info: ALWAYS,
  run(ctx) {
    ctx.queued = undefined;
    ctx.transactionFailed = false;
    ctx.unwatchAll();
    ctx.unsubscribeAll();
    ctx.select(0);
    ctx.setProtocol(2);
    ctx.name = '';
    ctx.out.simple('RESET');
  },
};

/**
 * The connection and server commands: PING, ECHO, SELECT (databases 0 to 15), QUIT, HELLO (RESP2 and RESP3),
 * CLIENT (ID, INFO, LIST, SETNAME, GETNAME), RESET, COMMAND (the list, COUNT, INFO, LIST, DOCS), INFO (`server`,
 * `clients`, `stats`, `keyspace`) and CONFIG (`GET`; `SET` to the value in force; `RESETSTAT`). Replies and errors
 * are Redis 7's.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { serverCommands } from './serverCommands.js';
 *
 * const table = new CommandTable(serverCommands);
 * console.log(table.lookup(Buffer.from('PING'))?.arity); // -1
 * ```
 *
 * @internal
 */
export const serverCommands: readonly RespCommand[] = [ping, echo, select, quit, hello, client, reset, command, info, config];
