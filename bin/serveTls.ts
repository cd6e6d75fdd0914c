import { certificateStore, type CertificateStore } from '../src/tls/certificateStore.js';
import type { TlsOptions } from 'node:tls';
import type { ServeTls } from './parseServeArgs.js';
import type { CliOutput } from './runServe.js';

/** The TLS side of `rxloop serve`: the options to listen with, and what to undo at the end. @internal */
export interface ServeTlsRuntime {
  readonly options: TlsOptions;
  readonly store: CertificateStore;
  close(): void;
}

/**
 * Loads the certificates of `rxloop serve --tls-cert ...`, watches their files, reloads them on SIGHUP, and
 * says on stdout/stderr what each reload did (a failed one keeps the certificates in use).
 *
 * ## Example
 * ```ts
 * import { startTls } from './serveTls.js';
 *
 * const tls = await startTls({ cert: 'cert.pem', key: 'key.pem', sni: [], alpn: undefined, handshakeTimeout: 10_000 },
 *   { out: console.log, err: console.error });
 * // ... serve with tls.options, then:
 * tls.close();
 * ```
 *
 * @internal
 * @param flags the TLS flags
 * @param output where to print
 * @returns the options and the store
 * @throws RxloopError `ERR_TLS_CERTIFICATE` (as a rejection) when a file cannot be read or used
 */
export async function startTls(flags: ServeTls, output: CliOutput): Promise<ServeTlsRuntime> {
  const store = await certificateStore({
    cert: flags.cert,
    key: flags.key,
    sni: flags.sni,
    handshakeTimeout: flags.handshakeTimeout,
    ...(flags.alpn === undefined ? {} : { alpn: flags.alpn }),
  });
  const describe = (): string =>
    store.certificates.map((c) => `${c.name ?? 'default'} ${c.subject} until ${c.validTo} sha256 ${c.fingerprint256}`).join('; ');
  const events = store.events$.subscribe((event) => {
    if (event.type === 'reloaded') output.out(`rxloop: TLS certificates reloaded: ${describe()}`);
    else output.err(`rxloop: TLS reload failed (${event.error.code}), still serving the previous certificates: ${event.error.message}`);
  });
  const onHangUp = (): void => {
    store.reload().then(
      (changed) => { if (!changed) output.out('rxloop: SIGHUP, TLS certificate files unchanged'); },
      () => undefined, // said by the event above
    );
  };
  process.on('SIGHUP', onHangUp);
  output.out(`rxloop: TLS ${describe()}${flags.alpn === undefined ? '' : `, ALPN ${flags.alpn.join(',')}`}`);
  return {
    options: store.tlsOptions(),
    store,
    close: () => {
      process.off('SIGHUP', onHangUp);
      events.unsubscribe();
      store.close();
    },
  };
}
