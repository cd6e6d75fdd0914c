import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A directory for a test's certificate files, removed by `remove()`. */
export function certificateDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-certs-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a self-signed certificate and its key (EC P-256: quick to make) for `names` (DNS names and IP
 * addresses, the first is the CN) to `<dir>/<file>.crt` and `<dir>/<file>.key`, made with openssl at test
 * time. The files appear by a rename, as certificate tools replace them. Throws, failing the test loudly, when
 * openssl is not installed.
 *
 * @returns the two paths and the certificate's SHA-256 fingerprint (as `getPeerCertificate` reports it)
 */
export function writeCertificate(dir: string, file: string, names: readonly string[]): { cert: string; key: string; fingerprint256: string } {
  const cert = join(dir, `${file}.crt`);
  const key = join(dir, `${file}.key`);
  const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${san}`,
      '-keyout', `${key}.new`, '-out', `${cert}.new`,
    ], { stdio: 'pipe' });
  } catch (error) {
    throw new Error('the TLS tests need the openssl command line tool (apt-get install openssl); it failed or is missing', { cause: error });
  }
  renameSync(`${key}.new`, key);
  renameSync(`${cert}.new`, cert);
  return { cert, key, fingerprint256: new X509Certificate(readFileSync(cert)).fingerprint256 };
}
