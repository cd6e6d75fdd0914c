import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { uringSupport } from '../../../src/index.js';
import { probeUringAt } from '../../../src/backends/uring/uringSupport.js';

// The machines rxloop is built and tested on run Linux with io_uring enabled (kernel.io_uring_disabled = 0), and
// `npm ci` builds the addon there: a probe that says otherwise is a broken build or install, and fails here.
const disabled = ((): string => {
  try {
    return readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim();
  } catch {
    return 'absent';
  }
})();

test('on this Linux machine the addon is built and the kernel offers what the ring backend needs', () => {
  assert.is(process.platform, 'linux', 'the test machines run Linux');
  const support = uringSupport();
  assert.ok(support.available, `io_uring should be available (kernel.io_uring_disabled = ${disabled}): ${support.reason}`);
  assert.is(support.reason, undefined);
  const kernel = support.kernel!;
  assert.ok(kernel.setup);
  assert.ok(kernel.providedBufferRings, 'a provided buffer ring registers');
  for (const op of ['accept', 'connect', 'recv', 'send', 'sendmsg', 'shutdown', 'close', 'asyncCancel'] as const) {
    assert.ok(kernel.ops[op], `${op} is supported`);
  }
  assert.ok(kernel.features > 0, 'the kernel reports IORING_FEAT_* bits');
  assert.is(uringSupport(), support, 'the answer is computed once');
});

test('the addon loads in a worker thread too (one instance per thread) and answers the same', async () => {
  const url = new URL('../../../src/index.js', import.meta.url).href;
  const worker = new Worker(
    `import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage(m.uringSupport()));`,
    { eval: true },
  );
  const answer = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(answer, uringSupport(), "a structured clone of the same answer");
});

test('without a built addon the answer says why, with the install step\'s own reason when it left one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-uring-'));
  try {
    const none = probeUringAt(join(dir, 'nothing'));
    assert.not.ok(none.available);
    assert.is(none.kernel, undefined);
    assert.match(none.reason!, /not built: the install step did not run; `npm rebuild rxloop` builds it/);

    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'build', 'status.json'), JSON.stringify({ built: false, reason: 'node-gyp rebuild failed (exit 1)' }));
    assert.match(probeUringAt(join(dir, 'build')).reason!, /not built: node-gyp rebuild failed \(exit 1\)/);

    mkdirSync(join(dir, 'broken', 'Release'), { recursive: true });
    writeFileSync(join(dir, 'broken', 'Release', 'rxloop_uring.node'), 'not an ELF file');
    const broken = probeUringAt(join(dir, 'broken'));
    assert.not.ok(broken.available);
    assert.match(broken.reason!, /^the native addon does not load: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
