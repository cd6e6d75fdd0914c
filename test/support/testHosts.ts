import { spawnSync } from 'node:child_process';

/**
 * A machine for servers in a deployment test: a network namespace of its own, joined to this one by a veth
 * pair, with its address only on that interface (`isolated`), or this machine's loopback where namespaces
 * cannot be made (`isolated: false`, address 127.0.0.1).
 */
export interface TestHost {
  /** The namespace's name (`ip netns exec NAME ...`), undefined on loopback. */
  readonly namespace: string | undefined;
  /** Where the host's servers listen and where this machine reaches them. */
  readonly address: string;
  /** This machine's end of the veth pair (what the host sees balancers and scrapers connect from). */
  readonly gateway: string;
  /** The command line that runs `command args` on the host. */
  command(command: string, args: readonly string[]): { readonly command: string; readonly args: string[] };
}

/** Test hosts and how to remove them. */
export interface TestHosts {
  readonly hosts: readonly TestHost[];
  /** Whether the hosts are network namespaces (false: loopback, because namespaces could not be made here). */
  readonly isolated: boolean;
  /** Deletes the namespaces (their veth pairs go with them); safe to call twice. */
  remove(): void;
}

const PREFIX = 'rxl';
const live = new Set<string>();
let exitHookInstalled = false;

function ip(args: readonly string[]): { ok: boolean; output: string } {
  const run = spawnSync('ip', [...args], { encoding: 'utf8', timeout: 5000 });
  if (run.error !== undefined && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('ip is missing: apt-get install iproute2 (the deployment tests make their hosts with it)', { cause: run.error });
  }
  return { ok: run.status === 0, output: `${run.stdout ?? ''}${run.stderr ?? ''}`.trim() };
}

function must(args: readonly string[]): string {
  const run = ip(args);
  if (!run.ok) throw new Error(`ip ${args.join(' ')} failed: ${run.output}`);
  return run.output;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespaces an earlier run left behind (it was killed before its cleanup ran): its pid is in the name. */
function removeStale(): void {
  for (const line of ip(['netns', 'list']).output.split('\n')) {
    const match = new RegExp(`^(${PREFIX}(\\d+)h\\d+)\\b`).exec(line.trim());
    if (match !== null && !pidAlive(Number(match[2])) && !live.has(match[1]!)) ip(['netns', 'del', match[1]!]);
  }
}

/** A /30 subnet in 10.201.0.0/16 that no route of this machine's uses yet (several test runs share a machine). */
function freeSubnet(taken: Set<number>): number {
  const routes = ip(['-4', 'route', 'show']).output;
  for (let tries = 0; tries < 4096; tries++) {
    const block = (process.pid * 13 + tries * 7) % 16384;
    const prefix = `10.201.${block >> 6}.${(block & 63) * 4}/30`;
    if (!taken.has(block) && !routes.includes(prefix)) {
      taken.add(block);
      return block;
    }
  }
  throw new Error('no free /30 in 10.201.0.0/16 for a test host');
}

/**
 * Makes `count` test hosts: network namespaces `rxl<pid>h<i>`, each joined to this machine by a veth pair with
 * a /30 of 10.201.0.0/16 (this end .1, the host's end .2, which is the host's only address besides its own
 * loopback). Falls back to loopback hosts when this machine does not let the test make namespaces (not root);
 * fails loudly when `ip` is missing (`RXLOOP_TEST_HOSTS=loopback` asks for loopback hosts). The namespaces are removed by `remove()`, and at exit if the test could
 * not get there.
 */
export function makeTestHosts(count: number): TestHosts {
  removeStale();
  const probe = `${PREFIX}${process.pid}h0`;
  // RXLOOP_TEST_HOSTS=loopback runs the deployment tests as a machine without namespaces would.
  const first = process.env['RXLOOP_TEST_HOSTS'] === 'loopback'
    ? { ok: false, output: 'RXLOOP_TEST_HOSTS=loopback' }
    : ip(['netns', 'add', probe]);
  if (!first.ok) {
    console.log(`# deployment test hosts on loopback: ip netns add failed here (${first.output})`);
    const loopback: TestHost = { namespace: undefined, address: '127.0.0.1', gateway: '127.0.0.1', command: (command, args) => ({ command, args: [...args] }) };
    return { hosts: Array.from({ length: count }, () => loopback), isolated: false, remove: () => undefined };
  }
  live.add(probe);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const name of live) spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
    });
  }
  const mine: string[] = [probe];
  const remove = (): void => {
    for (const name of mine.splice(0)) {
      ip(['netns', 'del', name]);
      live.delete(name);
    }
  };
  const hosts: TestHost[] = [];
  const taken = new Set<number>();
  try {
    for (let i = 0; i < count; i++) {
      const namespace = `${PREFIX}${process.pid}h${i}`;
      if (i > 0) {
        must(['netns', 'add', namespace]);
        mine.push(namespace);
        live.add(namespace);
      }
      const block = freeSubnet(taken);
      const base = `10.201.${block >> 6}.${(block & 63) * 4}`.split('.').map(Number);
      const at = (n: number): string => `${base[0]}.${base[1]}.${base[2]}.${base[3]! + n}`;
      const outside = `${PREFIX}${process.pid}a${i}`;
      const inside = `${PREFIX}${process.pid}b${i}`;
      must(['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside, 'netns', namespace]);
      must(['addr', 'add', `${at(1)}/30`, 'dev', outside]);
      must(['link', 'set', outside, 'up']);
      must(['-n', namespace, 'addr', 'add', `${at(2)}/30`, 'dev', inside]);
      must(['-n', namespace, 'link', 'set', inside, 'up']);
      must(['-n', namespace, 'link', 'set', 'lo', 'up']);
      hosts.push({
        namespace,
        address: at(2),
        gateway: at(1),
        command: (command, args) => ({ command: 'ip', args: ['netns', 'exec', namespace, command, ...args] }),
      });
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { hosts, isolated: true, remove };
}

/** Whether a namespace of that name exists (for tests of the cleanup). */
export function namespaceExists(name: string): boolean {
  return ip(['netns', 'list']).output.split('\n').some((line) => line.trim().split(' ')[0] === name);
}
