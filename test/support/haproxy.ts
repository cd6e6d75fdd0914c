import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnTracked, until, type Spawned } from './spawned.js';

/** A real HAProxy a test started from a config file it wrote, with its admin (stats) socket. */
export interface Haproxy extends Spawned {
  /** The config file as written (for messages and docs). */
  readonly config: string;
  /** Runs a command on the stats socket (`show stat`, ...) and resolves with the answer. */
  command(line: string): Promise<string>;
  /** Each server's state as HAProxy's checks see it, `backend/server` -> `UP`, `DOWN`, `MAINT`, ... */
  serverStates(): Promise<Map<string, string>>;
}

/**
 * Writes `config` (the sections after `global`, which this adds with a stats socket in `dir`) to
 * `dir/haproxy.cfg`, checks it with `haproxy -c`, starts `haproxy -db` on it and waits until the stats socket
 * answers. Fails loudly when haproxy is missing (.ci/run installs Debian's `haproxy`).
 */
export async function startHaproxy(dir: string, config: string): Promise<Haproxy> {
  const socket = join(dir, 'haproxy.sock');
  const text = `global\n  stats socket ${socket} mode 600 level admin\n  log stderr format raw local0 notice\n\n${config}`;
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, text);
  const missing = 'apt-get install haproxy';
  const check = await spawnTracked('haproxy', ['-c', '-f', file], missing);
  const checked = await check.exited;
  if (checked !== 0) throw new Error(`haproxy -c rejected the config (${checked}):\n${check.output()}\n${text}`);
  const spawned = await spawnTracked('haproxy', ['-db', '-f', file], missing);
  const command = (line: string): Promise<string> =>
    new Promise((answered, failed) => {
      const stats = connect(socket, () => stats.end(`${line}\n`));
      let answer = '';
      stats.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      stats.on('close', () => answered(answer)).on('error', failed);
    });
  const serverStates = async (): Promise<Map<string, string>> => {
    const [head, ...rows] = (await command('show stat')).trim().split('\n');
    const columns = head!.replace(/^# /, '').split(',');
    const states = new Map<string, string>();
    for (const row of rows) {
      const cells = row.split(',');
      const at = (name: string): string => cells[columns.indexOf(name)] ?? '';
      if (at('svname') !== 'FRONTEND' && at('svname') !== 'BACKEND') states.set(`${at('pxname')}/${at('svname')}`, at('status'));
    }
    return states;
  };
  try {
    await until('haproxy stats socket', async () => ((await command('show info')).includes('Name: HAProxy') ? true : undefined), 10_000);
  } catch (error) {
    await spawned.kill();
    throw new Error(`${(error as Error).message}\n${spawned.output()}`);
  }
  return { ...spawned, config: text, command, serverStates };
}
