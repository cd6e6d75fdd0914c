import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { connect as netConnect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet } from '../support/httpGet.js';

// `rxloop serve --admin ... --drain-delay ...` on SIGTERM: /readyz fails first while the server still accepts
// and serves, then accepting stops, then the process exits 0 once its connections are done.

const cli = join(resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..'), 'bin', 'rxloop.js');

function echoOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk)).on('close', () => resolve(answer)).on('error', reject);
  });
}

test('SIGTERM: readiness fails, the server keeps serving for the drain delay, then stops accepting and exits 0', async () => {
  const child = spawn(process.execPath, [cli, 'serve', 'echo', '--port', '0', '--admin', '127.0.0.1:0', '--drain-delay', '1500'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  try {
    while (!/admin on http:\/\/127\.0\.0\.1:\d+\//.test(stdout)) {
      if (child.exitCode !== null) assert.unreachable(`exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(stdout)![1]);
    const admin = Number(/admin on http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout)![1]);
    assert.is((await httpGet(admin, '/readyz')).status, 200);
    assert.is(await echoOnce(port, 'before'), 'before');
    child.kill('SIGTERM');
    let status = 200;
    while (status === 200) {
      status = (await httpGet(admin, '/readyz')).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 10));
    }
    assert.is(status, 503, 'readiness fails first');
    assert.is(await echoOnce(port, 'during the drain delay'), 'during the drain delay', 'still accepting and serving');
    assert.is((await httpGet(admin, '/healthz')).status, 200, 'still alive');
    assert.is(await exited, 0, stderr);
    assert.match(stdout, /SIGTERM, not ready; still accepting for 1500 ms/);
    assert.match(stdout, /rxloop: stopped/);
    const refused = await echoOnce(port, 'after').catch((error: NodeJS.ErrnoException) => error.code);
    assert.is(refused, 'ECONNREFUSED');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
