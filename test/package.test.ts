import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// dist/test/package.test.js -> the repository root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const work = mkdtempSync(join(tmpdir(), 'rxloop-pack-'));

test.after(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the packed package installs and its three entry points work from JavaScript and NodeNext TypeScript', () => {
  // `npm test` has just built dist/, so pack without running prepack again.
  run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack produced a tarball');
  // What the README links to is in the package (its guides are read on npm and from node_modules), and every
  // source map carries its sources (the .ts files are not shipped).
  const files = run('tar', ['tzf', join(work, tarball!)], work).split('\n').map((f) => f.replace(/^package\//, ''));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const [, link] of readme.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)) {
    assert.ok(files.includes(link!), `README links to ${link}, which the package must ship`);
  }
  const map = JSON.parse(readFileSync(join(root, 'dist', 'src', 'Connection.js.map'), 'utf8')) as { sourcesContent?: string[] };
  assert.ok(map.sourcesContent?.[0]?.includes('export class Connection'), 'source maps embed their sources');
  assert.not.ok(files.some((f) => f.endsWith('.d.ts.map')), 'no declaration maps pointing at unshipped sources');

  const project = join(work, 'project');
  run('mkdir', ['-p', project], work);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball!), 'rxjs@^7.8'], project);
  symlinkSync(join(root, 'node_modules', '@types'), join(project, 'node_modules', '@types'), 'dir');

  writeFileSync(join(project, 'consumer.mjs'), `
import { listen, connect, ErrorCode, Connection } from 'rxloop';
import { handle, lines, lengthPrefixed, pull, sendTo, proactor } from 'rxloop/operators';
import { serve, singleReactor } from 'rxloop/schedulers';
import { firstValueFrom } from 'rxjs';
if (typeof listen !== 'function' || typeof connect !== 'function') throw new Error('rxloop entry');
if (ErrorCode.FRAME_TOO_LONG !== 'ERR_FRAME_TOO_LONG') throw new Error('codes');
if ([lines, lengthPrefixed, sendTo, proactor, handle, pull].some((f) => typeof f !== 'function')) throw new Error('operators entry');
if (typeof serve !== 'function' || typeof singleReactor().schedule !== 'function') throw new Error('schedulers entry');
const error = await firstValueFrom(connect({ port: 0 })).catch((e) => e);
if (error.code !== 'ERR_INVALID_ARGUMENT') throw new Error('coded error expected');
console.log('ok', typeof Connection);
`);
  assert.match(run('node', ['consumer.mjs'], project), /^ok function/);

  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
    files: ['consumer.ts'],
  }));
  writeFileSync(join(project, 'consumer.ts'), `
import { listen, type Connection, type SocketAddress, RxloopError } from 'rxloop';
import { lines, sendTo } from 'rxloop/operators';
import { serve, singleReactor, type Server } from 'rxloop/schedulers';
import { map } from 'rxjs';
import { handle } from 'rxloop/operators';
const server$ = listen({ host: '127.0.0.1', port: 0, onListening: (s) => console.log(s.port) }).pipe(
  handle((connection: Connection) => connection.data$.pipe(lines(), map((line: Buffer) => [line, Buffer.from('\\n')]), sendTo(connection))),
);
const where: (a: SocketAddress) => string = (a) => (a.kind === 'unix' ? a.path : String(a.port));
const start: () => Promise<Server> = () => serve(new URL('./handler.js', import.meta.url), { port: 0, scheduler: singleReactor() });
export { server$, where, start, RxloopError };
`);
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
});

test.run();
