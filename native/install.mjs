// `npm install` step: builds the native io_uring addon from source with node-gyp where it can (Linux, a C++
// compiler, Node's headers). It never fails the install: where the build cannot run or fails, it writes why to
// build/status.json, and rxloop's uringSupport() reports that reason while the node backend serves as before.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const statusFile = join(here, 'build', 'status.json');

function record(status) {
  mkdirSync(dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, `${JSON.stringify({ ...status, node: process.version, at: new Date().toISOString() }, null, 2)}\n`);
  const line = status.built ? 'rxloop: built the io_uring addon' : `rxloop: io_uring addon not built (${status.reason}); the node backend is used`;
  console.log(line);
}

function nodeGyp() {
  // npm names its own node-gyp for lifecycle scripts; nothing is downloaded.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm) return { command: process.execPath, args: [fromNpm] };
  return undefined;
}

// Node's headers where they already are (npm's nodedir setting, or beside this node): never downloaded.
function nodeHeaders() {
  const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..')].filter(Boolean);
  return candidates.find((dir) => existsSync(join(dir, 'include', 'node', 'node_api.h')));
}

if (process.env.RXLOOP_SKIP_NATIVE === '1') {
  record({ built: false, reason: 'RXLOOP_SKIP_NATIVE=1 was set at install' });
} else if (process.platform !== 'linux') {
  record({ built: false, reason: `io_uring is Linux only; this is ${process.platform}` });
} else {
  const gyp = nodeGyp();
  const headers = nodeHeaders();
  if (headers === undefined) {
    record({ built: false, reason: "no Node.js headers on this machine (npm's nodedir, or include/node beside node); nothing is downloaded" });
  } else if (gyp === undefined) {
    record({ built: false, reason: 'no node-gyp (the install was not run by npm); run `npm rebuild rxloop` to build it' });
  } else {
    const result = spawnSync(gyp.command, [...gyp.args, 'rebuild', `--nodedir=${headers}`], { cwd: here, encoding: 'utf8', timeout: 300_000 });
    if (result.status === 0) {
      record({ built: true });
    } else {
      const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-12).join('\n');
      record({ built: false, reason: `node-gyp rebuild failed (${result.error?.message ?? `exit ${result.status}`})`, output });
    }
  }
}
