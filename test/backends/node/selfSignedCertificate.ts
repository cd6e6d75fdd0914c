import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let made: { key: Buffer; cert: Buffer } | undefined;

/**
 * A throwaway key and self-signed certificate for CN=localhost, made with the openssl command line at test time.
 * Throws (failing the test loudly) when openssl is not installed.
 */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  if (made !== undefined) return made;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch (cause) {
    throw new Error('the TLS tests need the openssl command line tool, and it is not installed', { cause });
  }
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-node-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', keyPath, '-out', certPath],
      { stdio: 'ignore' },
    );
    made = { key: readFileSync(keyPath), cert: readFileSync(certPath) };
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
