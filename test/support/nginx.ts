import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { spawnTracked, until, type Spawned } from './spawned.js';

/** A real nginx a test started in the foreground from a config file it wrote. */
export interface Nginx extends Spawned {
  /** The config file as written (for messages and docs). */
  readonly config: string;
}

/** Where Debian's libnginx-mod-stream puts the stream module. */
const streamModule = '/usr/lib/nginx/modules/ngx_stream_module.so';

/**
 * Writes `config` (the blocks after `events`, usually one `stream { ... }`) to `dir/nginx.conf` with the stream
 * module loaded, nginx in the foreground and its pid and logs in `dir`; checks it with `nginx -t`, starts it and
 * waits until `listen` (a `HOST:PORT` the config listens on) accepts. Fails loudly when nginx or its stream
 * module is missing (.ci/run installs Debian's `nginx` and `libnginx-mod-stream`).
 */
export async function startNginx(dir: string, config: string, listen: { readonly host: string; readonly port: number }): Promise<Nginx> {
  if (!existsSync(streamModule)) throw new Error(`the nginx stream module is missing (${streamModule}): apt-get install nginx libnginx-mod-stream`);
  const text = `load_module ${streamModule};
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log stderr notice;
events { worker_connections 1024; }

${config}`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, text);
  const missing = 'apt-get install nginx libnginx-mod-stream';
  const check = await spawnTracked('nginx', ['-t', '-p', dir, '-c', file], missing);
  const checked = await check.exited;
  if (checked !== 0) throw new Error(`nginx -t rejected the config (${checked}):\n${check.output()}\n${text}`);
  const spawned = await spawnTracked('nginx', ['-p', dir, '-c', file], missing);
  try {
    await until('nginx listening', () =>
      new Promise<true | undefined>((answered) => {
        const probe = connect(listen.port, listen.host, () => {
          probe.destroy();
          answered(true);
        });
        probe.on('error', () => answered(undefined));
      }), 10_000);
  } catch (error) {
    await spawned.kill();
    throw new Error(`${(error as Error).message}\n${spawned.output()}`);
  }
  // SIGKILL of the master would leave its workers; QUIT is nginx's graceful stop, TERM its fast one.
  const kill = async (): Promise<void> => {
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGTERM');
    const stopped = await Promise.race([spawned.exited.then(() => true), new Promise<false>((late) => setTimeout(() => late(false), 5000))]);
    if (!stopped) await spawned.kill();
  };
  return { ...spawned, kill, config: text };
}
