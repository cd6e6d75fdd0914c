import { X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContext, type TlsOptions } from 'node:tls';
import { Observable, Subject, asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { ErrorCode, RxloopError } from '../errors.js';
import { kSecureContextUpdates, type SecureContextTarget, type UpdatableTlsOptions } from '../backends/shared/secureContextUpdates.js';
import { matchServerName, serverNameProblem } from './matchServerName.js';

/**
 * A certificate chain and its private key, as PEM files.
 *
 * ## Example
 * ```ts
 * import type { CertificateFiles } from 'rxloop';
 *
 * const files: CertificateFiles = { cert: '/etc/ssl/example/fullchain.pem', key: '/etc/ssl/example/privkey.pem' };
 * ```
 */
export interface CertificateFiles {
  /** The certificate chain (PEM): the server's certificate first, then its intermediates. */
  readonly cert: string;
  /** The private key (PEM, unencrypted). */
  readonly key: string;
}

/**
 * Options for {@link certificateStore}.
 *
 * ## Example
 * ```ts
 * import { certificateStore, type CertificateStoreOptions } from 'rxloop';
 *
 * const options: CertificateStoreOptions = {
 *   cert: 'default.crt', key: 'default.key',
 *   sni: [{ name: '*.example.com', cert: 'wildcard.crt', key: 'wildcard.key' }],
 *   alpn: ['http/1.1'],
 *   handshakeTimeout: 5000,
 * };
 * const store = await certificateStore(options);
 * ```
 */
export interface CertificateStoreOptions extends CertificateFiles {
  /**
   * A certificate per server name the client asks for (SNI): an exact name (`api.example.com`) or a wildcard
   * for one label (`*.example.com` matches `a.example.com`, not `example.com` nor `a.b.example.com`). Exact
   * names win over wildcards; clients that name no server, or one not listed, get the default (`cert`, `key`).
   */
  readonly sni?: readonly (CertificateFiles & { readonly name: string })[];
  /** The ALPN protocols offered, in order of preference (`['h2', 'http/1.1']`); none by default. */
  readonly alpn?: readonly string[];
  /** Milliseconds a client has to complete its handshake before its connection is closed (default 10000). */
  readonly handshakeTimeout?: number;
  /** Reload when a file changes (default true). Directories are watched, so files replaced by a rename count. */
  readonly watch?: boolean;
  /** Milliseconds to wait after a change for the writer to finish (both files) before reloading (default 200). */
  readonly debounce?: number;
  /** The scheduler of the debounce timer (default: RxJS's `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/**
 * A certificate in use, as {@link CertificateStore.certificates} lists it.
 *
 * ## Example
 * ```ts
 * import { certificateStore, type CertificateInfo } from 'rxloop';
 *
 * const line = (c: CertificateInfo) => `${c.name ?? '(default)'}: ${c.subject}, valid to ${c.validTo}, ${c.fingerprint256}`;
 * const store = await certificateStore({ cert: 'cert.pem', key: 'key.pem' });
 * store.certificates.forEach((c) => console.log(line(c)));
 * ```
 */
export interface CertificateInfo {
  /** The SNI name it serves, or `undefined` for the default certificate. */
  readonly name: string | undefined;
  /** The certificate file it was read from. */
  readonly certFile: string;
  /** The SHA-256 fingerprint of the server's certificate (the first of the chain), as `AB:CD:...`. */
  readonly fingerprint256: string;
  /** Its subject (`CN=example.com`). */
  readonly subject: string;
  /** When it expires (as OpenSSL prints it: `Dec  2 10:00:00 2027 GMT`). */
  readonly validTo: string;
}

/**
 * What a {@link CertificateStore} reports on `events$`: a reload that replaced certificates, or one that failed
 * (the certificates in use stay in use).
 *
 * ## Example
 * ```ts
 * import { certificateStore, type CertificateStoreEvent } from 'rxloop';
 *
 * const explain = (event: CertificateStoreEvent) => event.type === 'reloaded'
 *   ? `TLS certificates reloaded: ${event.certificates.map((c) => c.fingerprint256).join(', ')}`
 *   : `TLS reload failed (${event.error.code}), still serving the previous certificates: ${event.error.message}`;
 * const store = await certificateStore({ cert: 'cert.pem', key: 'key.pem' });
 * store.events$.subscribe((event) => console.warn(explain(event)));
 * ```
 */
export type CertificateStoreEvent =
  | { readonly type: 'reloaded'; readonly certificates: readonly CertificateInfo[] }
  | { readonly type: 'reload-failed'; readonly error: RxloopError };

/** One loaded certificate: its files' bytes (to see whether a reload changes anything) and its context. */
interface Loaded {
  readonly files: CertificateFiles;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly context: SecureContext;
  readonly info: CertificateInfo;
}

/** Everything in use, replaced in one assignment by a reload. */
interface Generation {
  readonly fallback: Loaded;
  readonly named: ReadonlyMap<string, Loaded>;
}

/**
 * TLS certificates for a server, loaded from PEM files and reloaded without a restart: when a file changes
 * (watched, debounced) and on {@link CertificateStore.reload} (for example on SIGHUP). Serves a certificate per
 * server name (SNI, `*.example.com` wildcards too) and a default one, and offers ALPN protocols. Create it with
 * {@link certificateStore} and pass {@link CertificateStore.tlsOptions} as the `tls` option of `listen` or `serve`.
 *
 * A reload reads every file and builds every context first; only when all of them are good does it replace
 * the certificates in use, in one step. New handshakes get the new certificates; connections already open are
 * untouched. A bad file (unreadable, not PEM, a key that does not match) keeps the old certificates and is
 * reported as `ERR_TLS_CERTIFICATE` on `events$` (and by the promise of `reload()`).
 *
 * ## Example
 * ```ts
 * import { certificateStore, listen } from 'rxloop';
 *
 * const store = await certificateStore({ cert: 'cert.pem', key: 'key.pem', alpn: ['http/1.1'] });
 * store.events$.subscribe((event) => console.log('certificates', event.type));
 * process.on('SIGHUP', () => void store.reload().catch(() => undefined)); // reported on events$ too
 * listen({ port: 8443, tls: store.tlsOptions() }).subscribe((connection) => connection.write('hello\n'));
 * ```
 */
export class CertificateStore {
  private readonly options: CertificateStoreOptions;
  private readonly scheduler: SchedulerLike;
  private readonly events = new Subject<CertificateStoreEvent>();
  private readonly targets = new Set<SecureContextTarget>();
  private readonly watchers: FSWatcher[] = [];
  private generation: Generation;
  private pending: Subscription | undefined;
  private running: Promise<boolean> | undefined;
  private again: Promise<boolean> | undefined;
  private closed = false;

  /** Reloads that replaced certificates, and failed ones. Completes on {@link CertificateStore.close}. */
  readonly events$: Observable<CertificateStoreEvent> = this.events.asObservable();

  /** @internal Use {@link certificateStore}, which loads the files first. */
  constructor(options: CertificateStoreOptions, generation: Generation) {
    this.options = options;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.generation = generation;
    if (options.watch !== false) this.watchFiles();
  }

  /** The certificates in use now: the default first, then one per SNI name in the order given. */
  get certificates(): readonly CertificateInfo[] {
    return [this.generation.fallback.info, ...[...this.generation.named.values()].map((loaded) => loaded.info)];
  }

  /**
   * TLS server options that serve this store's certificates, for the `tls` option of `listen` or `serve` (the
   * node backend). Each call returns a new object; all of them follow reloads.
   *
   * @returns `key`, `cert`, an `SNICallback`, `ALPNProtocols` and `handshakeTimeout`
   */
  tlsOptions(): TlsOptions {
    const { fallback } = this.generation;
    const options: UpdatableTlsOptions = {
      key: fallback.key,
      cert: fallback.cert,
      SNICallback: (servername, callback) => callback(null, this.contextFor(servername)),
      handshakeTimeout: this.options.handshakeTimeout ?? 10_000,
      ...(this.options.alpn === undefined ? {} : { ALPNProtocols: [...this.options.alpn] }),
      // Clients that send no server name get the server's own context, which only the server can replace.
      [kSecureContextUpdates]: (target) => {
        this.targets.add(target);
        if (this.generation.fallback !== fallback) target.setSecureContext(this.contextOptions(this.generation.fallback));
        return () => void this.targets.delete(target);
      },
    };
    return options;
  }

  /**
   * Reads the files again and, when they changed and are all good, serves the new certificates to new
   * handshakes. A reload asked for while one runs runs again after it (so it sees the latest files).
   *
   * @returns whether the certificates were replaced (`false`: the files had not changed)
   * @throws RxloopError `ERR_TLS_CERTIFICATE` (as a rejection) when a file is unreadable or bad; the certificates
   *   in use stay in use
   */
  reload(): Promise<boolean> {
    if (this.running === undefined) {
      this.running = this.reloadOnce().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.again ??= this.running.catch(() => false).then(() => {
      this.again = undefined;
      return this.reload();
    });
    return this.again;
  }

  /**
   * Stops watching the files. Servers keep the certificates they serve now.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending?.unsubscribe();
    for (const watcher of this.watchers) watcher.close();
    this.events.complete();
  }

  private contextFor(servername: string): SecureContext {
    return matchServerName(this.generation.named, servername)?.context ?? this.generation.fallback.context;
  }

  private contextOptions(loaded: Loaded): { key: Buffer; cert: Buffer } {
    return { key: loaded.key, cert: loaded.cert };
  }

  private async reloadOnce(): Promise<boolean> {
    let next: Generation;
    try {
      next = await loadGeneration(this.options);
    } catch (error) {
      const failure = error as RxloopError;
      if (!this.closed) this.events.next({ type: 'reload-failed', error: failure });
      throw failure;
    }
    const previous = this.generation;
    if (sameGeneration(previous, next)) return false;
    this.generation = next;
    if (!sameFiles(previous.fallback, next.fallback)) {
      for (const target of this.targets) target.setSecureContext(this.contextOptions(next.fallback));
    }
    if (!this.closed) this.events.next({ type: 'reloaded', certificates: this.certificates });
    return true;
  }

  private watchFiles(): void {
    const files = allFiles(this.options);
    const byDirectory = new Map<string, Set<string>>();
    for (const file of files) {
      const dir = dirname(resolve(file));
      const names = byDirectory.get(dir) ?? new Set<string>();
      names.add(basename(file));
      byDirectory.set(dir, names);
    }
    for (const [dir, names] of byDirectory) {
      // The directory, not the file: a file replaced by a rename (what editors, certbot and Kubernetes secret
      // volumes do, the latter through `..data`) is a new inode that a watch on the old file never hears about.
      const watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null || names.has(String(filename)) || String(filename).startsWith('..')) this.reloadSoon();
      });
      watcher.on('error', (error) => {
        this.events.next({ type: 'reload-failed', error: new RxloopError(ErrorCode.TLS_CERTIFICATE,
          `watching ${dir} for certificate changes failed: ${error.message}; SIGHUP or reload() still reload`, { cause: error }) });
      });
      this.watchers.push(watcher);
    }
  }

  private reloadSoon(): void {
    if (this.closed) return;
    this.pending?.unsubscribe();
    this.pending = this.scheduler.schedule(() => {
      this.pending = undefined;
      this.reload().catch(() => undefined); // reported on events$
    }, this.options.debounce ?? 200);
  }
}

/**
 * Loads TLS certificates from PEM files into a {@link CertificateStore}, which serves them (a default and one
 * per SNI name, with ALPN) and reloads them when the files change or when asked.
 *
 * ## Example
 * ```ts
 * import { certificateStore } from 'rxloop';
 * import { serve } from 'rxloop/schedulers';
 *
 * const store = await certificateStore({
 *   cert: '/etc/ssl/example/fullchain.pem',
 *   key: '/etc/ssl/example/privkey.pem',
 *   sni: [{ name: 'api.example.com', cert: 'api.crt', key: 'api.key' }],
 *   alpn: ['http/1.1'],
 * });
 * const server = await serve('./dist/handler.js', { port: 8443, tls: store.tlsOptions() });
 * process.on('SIGHUP', () => void store.reload().catch((error) => console.error(error.message)));
 * process.once('SIGTERM', () => void server.stop().then(() => store.close()));
 * ```
 *
 * @param options the files, the SNI names, ALPN, the handshake timeout, and whether to watch
 * @returns the store, once every file is loaded
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for a malformed option (a bad SNI name, an empty ALPN protocol),
 *   `ERR_TLS_CERTIFICATE` (as a rejection) for a file that cannot be read or used
 */
export async function certificateStore(options: CertificateStoreOptions): Promise<CertificateStore> {
  checkOptions(options);
  return new CertificateStore(options, await loadGeneration(options));
}

function checkOptions(options: CertificateStoreOptions): void {
  const invalid = (message: string): never => {
    throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `certificateStore ${message}`);
  };
  if (options === null || typeof options !== 'object') invalid(`expected an options object, got ${String(options)}`);
  for (const [what, value] of [['cert', options.cert], ['key', options.key]] as const) {
    if (typeof value !== 'string' || value === '') invalid(`${what} expected a file path, got ${JSON.stringify(value)}`);
  }
  const seen = new Set<string>();
  for (const entry of options.sni ?? []) {
    const problem = serverNameProblem(entry?.name);
    if (problem !== undefined) invalid(`sni ${problem}`);
    if (typeof entry.cert !== 'string' || typeof entry.key !== 'string') invalid(`sni ${entry.name} expected cert and key file paths`);
    const name = entry.name.toLowerCase();
    if (seen.has(name)) invalid(`sni expected each name once, got ${entry.name} twice`);
    seen.add(name);
  }
  if (options.alpn !== undefined && (!Array.isArray(options.alpn) || options.alpn.some((p) => typeof p !== 'string' || p === '' || Buffer.byteLength(p) > 255))) {
    invalid(`alpn expected protocol names of 1 to 255 bytes, got ${JSON.stringify(options.alpn)}`);
  }
  const timeout = options.handshakeTimeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) invalid(`handshakeTimeout expected a positive integer of milliseconds, got ${String(timeout)}`);
  const debounce = options.debounce;
  if (debounce !== undefined && !(Number.isFinite(debounce) && debounce >= 0)) invalid(`debounce expected milliseconds (0 or more), got ${String(debounce)}`);
}

function allFiles(options: CertificateStoreOptions): string[] {
  return [options.cert, options.key, ...(options.sni ?? []).flatMap((entry) => [entry.cert, entry.key])];
}

async function loadGeneration(options: CertificateStoreOptions): Promise<Generation> {
  const [fallback, ...named] = await Promise.all([
    loadOne(options, undefined),
    ...(options.sni ?? []).map((entry) => loadOne(entry, entry.name.toLowerCase())),
  ]);
  return { fallback: fallback!, named: new Map(named.map((loaded) => [loaded.info.name!, loaded])) };
}

async function loadOne(files: CertificateFiles, name: string | undefined): Promise<Loaded> {
  const what = `the TLS certificate ${files.cert} with the key ${files.key}${name === undefined ? '' : ` (for ${name})`}`;
  const read = async (path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).code;
      throw new RxloopError(ErrorCode.TLS_CERTIFICATE, `${what} expected a readable file at ${path}, got ${errno ?? String(error)}`, { cause: error, errno });
    }
  };
  const [cert, key] = await Promise.all([read(files.cert), read(files.key)]);
  try {
    // createSecureContext checks that the key matches the certificate (OpenSSL: "key values mismatch").
    const context = createSecureContext({ cert, key });
    const x509 = new X509Certificate(cert);
    return {
      files,
      cert,
      key,
      context,
      info: { name, certFile: files.cert, fingerprint256: x509.fingerprint256, subject: x509.subject.replace(/\n/g, ', '), validTo: x509.validTo },
    };
  } catch (error) {
    throw new RxloopError(ErrorCode.TLS_CERTIFICATE,
      `${what} expected a PEM certificate chain and its matching private key, got: ${(error as Error).message}`, { cause: error });
  }
}

function sameFiles(a: Loaded, b: Loaded): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key);
}

function sameGeneration(a: Generation, b: Generation): boolean {
  if (!sameFiles(a.fallback, b.fallback)) return false;
  for (const [name, loaded] of b.named) {
    const before = a.named.get(name);
    if (before === undefined || !sameFiles(before, loaded)) return false;
  }
  return true;
}
