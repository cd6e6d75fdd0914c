import { CommandError, unknownSubcommand, wrongArity } from './commandErrors.js';
import { globMatch } from './globMatch.js';
import type { RespArgs } from './RespArgs.js';
import type { CommandContext, RespCommand } from './RespCommand.js';

/** The version this server reports: redis-cli and redis-benchmark only check that it looks like Redis 7. */
const REDIS_VERSION = '7.0.0';

/**
 * What `CONFIG GET` answers. redis-benchmark asks for `save` and `appendonly` and warns when it gets no answer;
 * the values say what is true here: nothing is persisted, and there is one database.
 */
const CONFIG: readonly (readonly [string, string])[] = [
  ['appendonly', 'no'],
  ['databases', '1'],
  ['maxmemory', '0'],
  ['save', ''],
];

const ping: RespCommand = {
  name: 'ping',
  arity: -1,
  run(ctx, args) {
    if (args.count > 2) ctx.out.error(wrongArity('ping'));
    else if (args.count === 2) ctx.out.bulk(args.sources[1]!, args.starts[1], args.ends[1]);
    else ctx.out.pong();
  },
};

const echo: RespCommand = {
  name: 'echo',
  arity: 2,
  run(ctx, args) {
    ctx.out.bulk(args.sources[1]!, args.starts[1], args.ends[1]);
  },
};

const select: RespCommand = {
  name: 'select',
  arity: 2,
  run(ctx, args) {
    const index = args.integer(1);
    if (Number.isNaN(index)) ctx.out.error(CommandError.NOT_INTEGER);
    else if (index < -2147483648 || index > 2147483647) ctx.out.error(CommandError.INT_RANGE);
    else if (index !== 0) ctx.out.error(CommandError.DB_INDEX);
    else ctx.out.ok();
  },
};

const quit: RespCommand = {
  name: 'quit',
  arity: -1,
  run(ctx) {
    ctx.out.ok();
    ctx.quit();
  },
};

/** A subcommand of a container command (`CONFIG GET`), with Redis's arity. */
interface Subcommand {
  readonly name: string;
  readonly arity: number;
  run(ctx: CommandContext, args: RespArgs): void;
}

/** Finds and runs argument 1 among `subcommands`, with Redis's errors for an unknown one or a wrong arity. */
function runSubcommand(
  ctx: CommandContext,
  args: RespArgs,
  container: string,
  subcommands: readonly Subcommand[],
): void {
  const sub = subcommands.find((candidate) => args.is(1, candidate.name));
  if (sub === undefined) ctx.out.error(unknownSubcommand(args));
  else if (sub.arity > 0 ? args.count !== sub.arity : args.count < -sub.arity) {
    ctx.out.error(wrongArity(`${container}|${sub.name}`));
  } else sub.run(ctx, args);
}

const commandSubcommands: readonly Subcommand[] = [
  {
    name: 'count',
    arity: 2,
    run(ctx) {
      ctx.out.integer(ctx.commands.size);
    },
  },
  {
    // redis-cli asks for the docs to build its hints; an empty answer makes it use its built-in ones.
    name: 'docs',
    arity: -2,
    run(ctx) {
      ctx.out.array(0);
    },
  },
];

const command: RespCommand = {
  name: 'command',
  arity: -1,
  run(ctx, args) {
    if (args.count === 1) ctx.out.array(0);
    else runSubcommand(ctx, args, 'command', commandSubcommands);
  },
};

const configSubcommands: readonly Subcommand[] = [
  {
    name: 'get',
    arity: -3,
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
      ctx.out.array(found.size * 2);
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
    run(ctx) {
      ctx.out.ok();
    },
  },
];

const config: RespCommand = {
  name: 'config',
  arity: -2,
  run(ctx, args) {
    runSubcommand(ctx, args, 'config', configSubcommands);
  },
};

const info: RespCommand = {
  name: 'info',
  arity: -1,
  run(ctx, args) {
    const names: string[] = [];
    for (let i = 1; i < args.count; i++) names.push(args.latin1(i).toLowerCase());
    if (names.length === 0) names.push('default');
    const every = names.some((name) => name === 'default' || name === 'all' || name === 'everything');
    const sections: string[] = [];
    if (every || names.includes('server')) {
      sections.push(`# Server\r\nredis_version:${REDIS_VERSION}\r\nredis_mode:standalone\r\narch_bits:64\r\n`);
    }
    if (every || names.includes('keyspace')) {
      const { size, expiringSize } = ctx.keyspace;
      const db0 = size > 0 ? `db0:keys=${size},expires=${expiringSize},avg_ttl=0\r\n` : '';
      sections.push(`# Keyspace\r\n${db0}`);
    }
    ctx.out.bulkString(sections.join('\r\n'));
  },
};

/**
 * The connection and server commands: PING, ECHO, SELECT (database 0 only), QUIT, and as much of COMMAND
 * (`COUNT`, `DOCS`), INFO (`server`, `keyspace`) and CONFIG (`GET`; `SET` to the value in force; `RESETSTAT`)
 * as redis-cli and redis-benchmark need to run without warnings. Replies and errors are Redis 7's.
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
export const serverCommands: readonly RespCommand[] = [ping, echo, select, quit, command, info, config];
