import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { parseTarget } from '../examples/proxy/parseTarget.js';
import { TrustedPeers } from '../operators/TrustedPeers.js';

/** The example servers `rxloop serve` runs, with the port each listens on by default. */
const examplePorts = { resp: 6380, http: 8080, echo: 7000, proxy: 7001 } as const;

/** An example `rxloop serve` can run. @internal */
export type ExampleName = keyof typeof examplePorts;

/** What `rxloop serve ...` asked for, checked. @internal */
export interface ServeCommand {
  readonly help: false;
  /** The example to serve, or `'module'` for a handler module of the user's (`module`). */
  readonly example: ExampleName | 'module';
  /** The file URL of the user's handler module (`rxloop serve ./dist/handler.js`), resolved against the cwd. */
  readonly module: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly scheduler: 'single' | 'pooled' | 'multi';
  readonly workers: number | undefined;
  readonly reactors: number | undefined;
  readonly accept: 'acceptor' | 'shared' | undefined;
  /** `--threads`: the multi-reactor's sub-reactors are worker threads rather than processes. */
  readonly threads: boolean;
  /** The proxy's target as given (`HOST:PORT`), from `--target` or `RXLOOP_PROXY_TARGET`. */
  readonly target: string | undefined;
  /** `--send-proxy-v2`: the proxy starts every target connection with a PROXY v2 header naming the client. */
  readonly sendProxy: boolean;
  readonly wiretap: boolean;
  readonly deadline: number;
  /** `--proxy-protocol`: every connection starts with a PROXY protocol header (v1 or v2). */
  readonly proxyProtocol: boolean;
  /** `--proxy-trusted`: the addresses and CIDR ranges allowed to send a header (`undefined`: any). */
  readonly proxyTrusted: readonly string[] | undefined;
  /** `--admin HOST:PORT`: where the admin endpoint (metrics, health, dashboard) listens. */
  readonly admin: { readonly host: string; readonly port: number } | undefined;
  /** `--drain-delay MS`: how long readiness fails before the server stops accepting (default 0). */
  readonly drainDelay: number;
  /** `--backend node|uring|auto` (default auto). */
  readonly backend: 'node' | 'uring' | 'auto';
  /** `--tls-cert` and the TLS flags that go with it. */
  readonly tls: ServeTls | undefined;
}

/** The TLS flags of `rxloop serve`. @internal */
export interface ServeTls {
  /** The default certificate chain and key files (PEM). */
  readonly cert: string;
  readonly key: string;
  /** `--tls-sni NAME=CERT,KEY`: a certificate per server name. */
  readonly sni: readonly { readonly name: string; readonly cert: string; readonly key: string }[];
  /** `--alpn LIST`: the protocols offered, in order of preference. */
  readonly alpn: readonly string[] | undefined;
  /** `--tls-handshake-timeout MS` (default 10000). */
  readonly handshakeTimeout: number;
}

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  scheduler: { type: 'string' },
  workers: { type: 'string' },
  reactors: { type: 'string' },
  accept: { type: 'string' },
  threads: { type: 'boolean' },
  target: { type: 'string' },
  'send-proxy-v2': { type: 'boolean' },
  wiretap: { type: 'boolean' },
  deadline: { type: 'string' },
  'proxy-protocol': { type: 'boolean' },
  'proxy-trusted': { type: 'string' },
  admin: { type: 'string' },
  'drain-delay': { type: 'string' },
  backend: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-sni': { type: 'string', multiple: true },
  alpn: { type: 'string' },
  'tls-handshake-timeout': { type: 'string' },
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
  if (example === undefined) throw usage('expected an example to serve (resp, http, echo or proxy) or a handler module path');
  // A path (./dist/handler.js, /srv/app/handler.js) is the user's own handler module; a bare word an example.
  const isModule = /[/\\]|\.[cm]?js$/.test(example);
  if (!isModule && !Object.hasOwn(examplePorts, example)) {
    throw usage(`unknown example ${JSON.stringify(example)}: expected resp, http, echo or proxy, or a handler module path`);
  }
  if (extra.length > 0) throw usage(`unexpected argument ${JSON.stringify(extra[0])}`);
  const name = isModule ? 'module' : (example as ExampleName);
  const module = isModule ? pathToFileURL(isAbsolute(example) ? example : resolve(example)).href : undefined;

  const text = (flag: string): string | undefined => values[flag] as string | undefined;
  const scheduler = oneOf('--scheduler', text('scheduler') ?? 'single', ['single', 'pooled', 'multi'] as const);
  const workers = count('--workers', text('workers'));
  const reactors = count('--reactors', text('reactors'));
  const accept = text('accept') === undefined ? undefined : oneOf('--accept', text('accept')!, ['acceptor', 'shared'] as const);
  if (workers !== undefined && scheduler !== 'pooled') throw usage('--workers goes with --scheduler pooled');
  if (reactors !== undefined && scheduler !== 'multi') throw usage('--reactors goes with --scheduler multi');
  if (accept !== undefined && scheduler !== 'multi') throw usage('--accept goes with --scheduler multi');
  const threads = values['threads'] === true;
  if (threads && scheduler !== 'multi') throw usage('--threads goes with --scheduler multi');

  const host = text('host') ?? '127.0.0.1';
  if (host === '') throw usage('--host expected an address, got ""');
  const portText = text('port');
  const port = portText === undefined ? (name === 'module' ? 7000 : examplePorts[name]) : integer('--port', portText, 0, 65535);
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

  const sendProxy = values['send-proxy-v2'] === true;
  if (sendProxy && name !== 'proxy') throw usage('--send-proxy-v2 goes with the proxy example');

  const proxyProtocol = values['proxy-protocol'] === true;
  const trustedText = text('proxy-trusted');
  if (trustedText !== undefined && !proxyProtocol) throw usage('--proxy-trusted goes with --proxy-protocol');
  const proxyTrusted = trustedText?.split(',').map((range) => range.trim());
  if (proxyTrusted !== undefined) {
    try {
      new TrustedPeers(proxyTrusted);
    } catch (error) {
      throw usage(`--proxy-trusted ${(error as Error).message.replace(/^proxyProtocol trusted /, '')}`);
    }
  }

  const adminText = text('admin');
  let admin: ServeCommand['admin'];
  if (adminText !== undefined) {
    const match = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(adminText);
    const adminPort = match === null ? NaN : Number(match[3]);
    if (match === null || !(adminPort <= 65535)) throw usage(`--admin expected HOST:PORT (e.g. 127.0.0.1:9090), got ${JSON.stringify(adminText)}`);
    admin = { host: (match[1] ?? match[2])!, port: adminPort };
  }
  const drainDelayText = text('drain-delay');
  const drainDelay = drainDelayText === undefined ? 0 : integer('--drain-delay', drainDelayText, 0, 2 ** 31 - 1);

  const tls = tlsFlags(values, scheduler, proxyProtocol);
  const backendText = text('backend') ?? 'auto';
  if (backendText !== 'node' && backendText !== 'uring' && backendText !== 'auto') {
    throw usage(`--backend expected node, uring or auto, got ${JSON.stringify(backendText)}`);
  }

  return {
    help: false,
    example: name,
    module,
    host,
    port,
    scheduler,
    workers,
    reactors,
    accept,
    threads,
    target,
    sendProxy,
    wiretap: values['wiretap'] === true,
    deadline,
    proxyProtocol,
    proxyTrusted,
    admin,
    drainDelay,
    tls,
    backend: backendText,
  };
}

function tlsFlags(values: Record<string, unknown>, scheduler: string, proxyProtocol: boolean): ServeTls | undefined {
  const cert = values['tls-cert'] as string | undefined;
  const key = values['tls-key'] as string | undefined;
  const sniTexts = (values['tls-sni'] as string[] | undefined) ?? [];
  const alpnText = values['alpn'] as string | undefined;
  const timeoutText = values['tls-handshake-timeout'] as string | undefined;
  if (cert === undefined) {
    if (key !== undefined) throw usage('--tls-key goes with --tls-cert');
    if (sniTexts.length > 0) throw usage('--tls-sni goes with --tls-cert (the certificate for clients that name no server)');
    if (alpnText !== undefined) throw usage('--alpn goes with --tls-cert');
    if (timeoutText !== undefined) throw usage('--tls-handshake-timeout goes with --tls-cert');
    return undefined;
  }
  if (key === undefined) throw usage('--tls-cert expected --tls-key KEY_FILE too');
  if (scheduler === 'multi') throw usage('--tls-cert goes with --scheduler single or pooled: the multi-reactor does not serve TLS yet');
  if (proxyProtocol) throw usage('--tls-cert and --proxy-protocol do not go together: let the balancer terminate TLS');
  const sni = sniTexts.map((entry) => {
    const match = /^([^=,\s]+)=([^,]+),([^,]+)$/.exec(entry);
    if (match === null) throw usage(`--tls-sni expected NAME=CERT_FILE,KEY_FILE, got ${JSON.stringify(entry)}`);
    return { name: match[1]!, cert: match[2]!, key: match[3]! };
  });
  const alpn = alpnText?.split(',').map((protocol) => protocol.trim());
  if (alpn !== undefined && alpn.some((protocol) => protocol === '' || Buffer.byteLength(protocol) > 255)) {
    throw usage(`--alpn expected protocol names separated by commas (e.g. http/1.1), got ${JSON.stringify(alpnText)}`);
  }
  const handshakeTimeout = timeoutText === undefined ? 10_000 : integer('--tls-handshake-timeout', timeoutText, 1, 2 ** 31 - 1);
  return { cert, key, sni, alpn, handshakeTimeout };
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
