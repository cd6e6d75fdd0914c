import type { SecureContextOptions, TlsOptions } from 'node:tls';

/**
 * Something whose default TLS certificate can be replaced while it runs: a `tls.Server` (its public
 * `setSecureContext`). New handshakes get the new certificate; connections already open keep theirs.
 *
 * @internal
 */
export interface SecureContextTarget {
  setSecureContext(options: SecureContextOptions): void;
}

/**
 * The key under which TLS server options may carry a registration function: a backend that builds a TLS
 * server from the options calls it with the server, and calls what it returns when the server closes. This is
 * how a certificate store (`CertificateStore` in `rxloop`) swaps the certificate that clients sending no server
 * name (SNI) get, which no `SNICallback` can reach. `Symbol.for`, so that two copies of rxloop agree.
 *
 * @internal
 */
export const kSecureContextUpdates: unique symbol = Symbol.for('rxloop.tls.secureContextUpdates');

/** The registration function under {@link kSecureContextUpdates}. @internal */
export type SecureContextUpdates = (target: SecureContextTarget) => () => void;

/**
 * TLS options that may carry a registration under {@link kSecureContextUpdates}.
 *
 * @internal
 */
export type UpdatableTlsOptions = TlsOptions & { readonly [kSecureContextUpdates]?: SecureContextUpdates };

/**
 * Registers `target` with the options' certificate store, if they come from one.
 *
 * @internal
 * @returns the function that unregisters it (a no-op when there was nothing to register with)
 */
export function registerSecureContextTarget(options: TlsOptions, target: SecureContextTarget): () => void {
  const register = (options as UpdatableTlsOptions)[kSecureContextUpdates];
  return typeof register === 'function' ? register(target) : noop;
}

function noop(): void {}
