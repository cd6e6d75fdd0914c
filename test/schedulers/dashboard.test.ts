import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { multiReactor, serve, serveAdmin } from '../../schedulers/index.js';

// The admin dashboard in a real headless Chromium (Debian's, installed by .ci/run), while a load runs: the page
// must draw every chart and its numbers must move without a reload. The screenshot lands in test-output/.

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const output = join(root, 'test-output');
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
// As root, in a sandbox with no way out: no sandboxing, no GPU, and none of Chromium's own network chatter.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-proxy-server', '--disable-dev-shm-usage'];

test('Chromium renders the dashboard of a multi-reactor under load, and it updates without a reload', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`the dashboard test needs Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const server = await serve(new URL('../fixtures/serveMetricsProbe.js', import.meta.url), {
    host: '127.0.0.1', port: 0, scheduler: multiReactor({ reactors: 2 }), statsInterval: 250,
  });
  const admin = await serveAdmin(server, { port: 0 });
  const port = server.address.kind === 'inet' ? server.address.port : 0;
  const sockets: Socket[] = [];
  let running = true;
  // Twelve echo clients, each keeping 64 KiB in flight, for as long as the test looks.
  for (let i = 0; i < 12; i++) {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const chunk = Buffer.alloc(65536, i);
    socket.on('data', (data: Buffer) => {
      if (running && socket.bytesRead % 65536 < data.length) socket.write(chunk);
    });
    socket.write(chunk);
    sockets.push(socket);
  }
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${admin.address.kind === 'inet' ? admin.address.port : 0}/`);
    await page.waitForFunction(() => Number(document.body.dataset['samples'] ?? 0) >= 3, undefined, { timeout: 20_000 });
    const first = await page.evaluate(() => ({
      samples: Number(document.body.dataset['samples']),
      connections: document.getElementById('k-connections')!.textContent,
      received: document.getElementById('k-in')!.textContent,
    }));
    // Let the load run, then look again: the page must have moved on by itself.
    await page.waitForFunction((before) => Number(document.body.dataset['samples']) >= before + 6, first.samples, { timeout: 20_000 });
    await page.waitForFunction(() => document.getElementById('k-in')!.textContent !== '0 B/s', undefined, { timeout: 20_000 });
    const later = await page.evaluate(() => ({
      state: document.getElementById('state')!.textContent,
      connections: Number(document.getElementById('k-connections')!.textContent),
      received: document.getElementById('k-in')!.textContent,
      charts: document.querySelectorAll('.chart').length,
      drawnLines: [...document.querySelectorAll('.chart svg')].map((svg) => svg.querySelectorAll('path[fill="none"]').length),
      rows: [...document.querySelectorAll('#reactors tbody tr td:first-child')].map((td) => td.textContent),
    }));
    mkdirSync(output, { recursive: true });
    const shot = join(output, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`    dashboard screenshot: ${shot}`);
    assert.equal(errors, [], 'no script errors');
    assert.is(later.state, 'ready');
    assert.ok(later.connections >= 12, `12 clients open, the page says ${later.connections}`);
    assert.match(later.received, /(KiB|MiB|GiB)\/s$/, `bytes are flowing: ${later.received}`);
    assert.is(later.charts, 7);
    assert.ok(later.drawnLines.every((n) => n === 3), `a line per reactor in every chart (acceptor, sub-0, sub-1): ${later.drawnLines.join(',')}`);
    assert.equal(later.rows.sort(), ['acceptor', 'sub-0', 'sub-1']);
    assert.ok(statSync(shot).size > 20_000, 'the screenshot has content');
    // Draining shows on the page without a reload, too.
    admin.drain();
    await page.waitForFunction(() => document.getElementById('state')!.textContent === 'draining', undefined, { timeout: 10_000 });
  } finally {
    running = false;
    await browser?.close();
    for (const socket of sockets) socket.destroy();
    await admin.close();
    await server.stop({ deadline: 500 });
  }
});

test.run();
