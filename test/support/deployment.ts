import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { within } from './spawned.js';
import { makeTestHosts, namespaceExists, type TestHosts } from './testHosts.js';

/** What a deployment test works in: its test hosts, a temp dir for config files, and its cleanups. */
export interface Deployment {
  readonly hosts: TestHosts;
  /** A fresh temp dir, removed afterwards. */
  readonly dir: string;
  /** Runs `cleanup` when the test ends, pass or fail (the last registered first). */
  defer(cleanup: () => unknown): void;
}

/**
 * Runs a deployment test bounded by `ms`: makes `hostCount` test hosts and a temp dir, runs `body`, then (even
 * when it failed or ran out of time) runs the deferred cleanups (processes first), removes the hosts and the
 * temp dir, and checks that the namespaces are gone.
 */
export async function withDeployment(what: string, hostCount: number, ms: number, body: (deployment: Deployment) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-deploy-'));
  const cleanups: (() => unknown)[] = [];
  let hosts: TestHosts | undefined;
  try {
    hosts = makeTestHosts(hostCount);
    await within(ms, what, body({ hosts, dir, defer: (cleanup) => cleanups.push(cleanup) }));
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    const namespaces = hosts?.hosts.map((host) => host.namespace).filter((name) => name !== undefined) ?? [];
    hosts?.remove();
    rmSync(dir, { recursive: true, force: true });
    for (const name of namespaces) {
      if (namespaceExists(name)) throw new Error(`${what}: the test host ${name} is still there after cleanup`);
    }
  }
}
