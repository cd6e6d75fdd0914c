import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeRequest } from './httpClients.js';
import { Agent } from 'node:http';

const main = fileURLToPath(new URL('../../../examples/http/main.js', import.meta.url));
const children: ChildProcess[] = [];

test.after.each(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts main.js and resolves with the process, its output so far, and the port it printed. */
async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; output: () => string; port: number }> {
  const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`main.js printed no address within 10 s: ${output}`)), 10_000);
    child.stdout!.on('data', () => {
      const printed = /^listening on http:\/\/127\.0\.0\.1:(\d+)\/$/m.exec(output);
      if (printed !== null) {
        clearTimeout(timer);
        resolve(Number(printed[1]));
      }
    });
    child.once('exit', () => reject(new Error(`main.js exited before listening: ${output}`)));
  });
  return { child, output: () => output, port };
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`main.js serves on the port from argv, prints its address, and stops on ${signal}`, async () => {
    const { child, output, port } = await start(['0', '127.0.0.1']);
    const agent = new Agent({ keepAlive: false });
    const response = await nodeRequest(agent, port, 'GET', '/json');
    assert.equal([response.status, response.body], [200, '{"message":"Hello, World!"}']);
    child.kill(signal);
    assert.is(await exited(child), 0, output());
    assert.match(output(), new RegExp(`${signal}: stopping\\nstopped\\n$`));
  });
}

test('main.js takes the port and host from PORT and HOST', async () => {
  const { child, port } = await start([], { PORT: '0', HOST: '127.0.0.1' });
  assert.ok(port > 0);
  child.kill('SIGTERM');
  assert.is(await exited(child), 0);
});

test.run();
