import { parseArgs } from 'node:util';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { parseTarget } from '../examples/proxy/parseTarget.js';

/** The example servers `rxloop serve` runs, with the port each listens on by default. */
const examplePorts = { resp: 6380, http: 8080, echo: 7000, proxy: 7001 } as const;

/** An example `rxloop serve` can run. @internal */
export type ExampleName = keyof typeof examplePorts;

/** What `rxloop serve ...` asked for, checked. @internal */
export interface ServeCommand {
  readonly help: false;
  readonly example: ExampleName;
  readonly host: string;
  readonly port: number;
  readonly scheduler: 'single' | 'pooled' | 'multi';
  readonly workers: number | undefined;
  readonly reactors: number | undefined;
  readonly accept: 'acceptor' | 'shared' | undefined;
  /** The proxy's target as given (`HOST:PORT`), from `--target` or `RXLOOP_PROXY_TARGET`. */
  readonly target: string | undefined;
  readonly wiretap: boolean;
  readonly deadline: number;
}

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  scheduler: { type: 'string' },
  workers: { type: 'string' },
  reactors: { type: 'string' },
  accept: { type: 'string' },
  target: { type: 'string' },
  wiretap: { type: 'boolean' },
  deadline: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Reads the arguments of `rxloop serve` (after the word `serve`). Every mistake is reported as an
 * `ERR_INVALID_ARGUMENT` whose message names the flag and says what was expected, for the CLI to print
 * before it exits with status 2.
 *
 * ## Example
 * ```ts
 * import { parseServeArgs } from './parseServeArgs.js';
 *
 * const command = parseServeArgs(['echo', '--port', '0'], {});
 * if (!command.help) console.log(command.example, command.port); // echo 0
 * ```
 *
 * @internal
 * @param args the arguments after `serve`
 * @param env the environment (for `RXLOOP_PROXY_TARGET`)
 * @returns the command, or `{ help: true }` for `--help`
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for an unknown flag, a missing or malformed value, or flags that
 *   do not go together
 */
export function parseServeArgs(args: readonly string[], env: NodeJS.ProcessEnv): ServeCommand | { readonly help: true } {
  // Non-strict parsing plus our own checks of the tokens: Node's strict messages do not say what to do instead.
  const { values, positionals, tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const known = (options as Record<string, { type: string }>)[token.name];
    if (known === undefined || (token.rawName.startsWith('--') && token.rawName.length === 2)) {
      throw usage(`unknown flag ${token.rawName}`);
    }
    if (known.type === 'string' && token.value === undefined) throw usage(`${token.rawName} expected a value`);
    if (known.type === 'boolean' && token.inlineValue === true) throw usage(`${token.rawName} takes no value`);
  }
  if (values['help'] === true) return { help: true };

  const [example, ...extra] = positionals;
  if (example === undefined) throw usage('expected an example to serve: resp, http, echo or proxy');
  if (!Object.hasOwn(examplePorts, example)) {
    throw usage(`unknown example ${JSON.stringify(example)}: expected resp, http, echo or proxy`);
  }
  if (extra.length > 0) throw usage(`unexpected argument ${JSON.stringify(extra[0])}`);
  const name = example as ExampleName;

  const text = (flag: string): string | undefined => values[flag] as string | undefined;
  const scheduler = oneOf('--scheduler', text('scheduler') ?? 'single', ['single', 'pooled', 'multi'] as const);
  const workers = count('--workers', text('workers'));
  const reactors = count('--reactors', text('reactors'));
  const accept = text('accept') === undefined ? undefined : oneOf('--accept', text('accept')!, ['acceptor', 'shared'] as const);
  if (workers !== undefined && scheduler !== 'pooled') throw usage('--workers goes with --scheduler pooled');
  if (reactors !== undefined && scheduler !== 'multi') throw usage('--reactors goes with --scheduler multi');
  if (accept !== undefined && scheduler !== 'multi') throw usage('--accept goes with --scheduler multi');

  const host = text('host') ?? '127.0.0.1';
  if (host === '') throw usage('--host expected an address, got ""');
  const portText = text('port');
  const port = portText === undefined ? examplePorts[name] : integer('--port', portText, 0, 65535);
  const deadlineText = text('deadline');
  const deadline = deadlineText === undefined ? 5000 : integer('--deadline', deadlineText, 0, 2 ** 31 - 1);

  let target = text('target');
  if (target !== undefined && name !== 'proxy') throw usage('--target goes with the proxy example');
  if (name === 'proxy') {
    target ??= env['RXLOOP_PROXY_TARGET'] || undefined;
    if (target === undefined) throw usage('the proxy example expected --target HOST:PORT (or RXLOOP_PROXY_TARGET)');
    try {
      parseTarget(target);
    } catch (error) {
      throw usage(`--target ${(error as Error).message.replace(/^proxy target /, '')}`);
    }
  }

  return {
    help: false,
    example: name,
    host,
    port,
    scheduler,
    workers,
    reactors,
    accept,
    target,
    wiretap: values['wiretap'] === true,
    deadline,
  };
}

function usage(message: string): RxloopError {
  return new RxloopError(ErrorCode.INVALID_ARGUMENT, message);
}

function oneOf<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usage(`${flag} expected ${choices.join(', ')}, got ${JSON.stringify(value)}`);
}

function count(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : integer(flag, value, 1, 1024);
}

function integer(flag: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw usage(`${flag} expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}
