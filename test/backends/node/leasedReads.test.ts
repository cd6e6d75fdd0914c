import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BufferSource } from '../../../src/backends/Backend.js';
import { leasedReads } from '../../../src/backends/node/leasedReads.js';
import { nodeBackend } from '../../../src/backends/node/nodeBackend.js';
import { connectPair, OpenSockets } from './connectPair.js';
import { LeasePool, leaseReader, pattern, TransportRecorder } from './TransportRecorder.js';
import { turns, until } from './until.js';

const open = new OpenSockets();

test.after.each(() => open.closeAll());

test('the feature check finds Node 20 private onread fields, once', () => {
  const hooks = leasedReads();
  assert.ok(hooks !== undefined, 'the zero-copy path is expected to be available on Node 20');
  assert.is(leasedReads(), hooks);
});

const paths = [
  { name: 'zero-copy', zeroCopy: true },
  { name: 'copying fallback', zeroCopy: false },
] as const;
const sides = ['accepted', 'client'] as const;

for (const path of paths) {
  for (const side of sides) {
    test(`${path.name}, ${side} socket: no loss or reordering when credit runs out and comes back, pool buffers reused`, async () => {
      const backend = nodeBackend({ zeroCopyLeasedReads: path.zeroCopy });
      const { server, client } = await connectPair(backend, open);
      const [reader, writer] = side === 'accepted' ? [server, client] : [client, server];
      assert.equal(reader.features, { zeroCopyLeasedReads: path.zeroCopy, secure: false });
      const pool = new LeasePool(2, 1024);
      const { recorder, foreign, overwritten } = leaseReader(reader, pool);
      const data = pattern(1024 * 1024 + 77);
      writer.write(data);
      writer.end();
      await until(() => recorder.events.includes('ended'), 'the end of input');
      assert.is(recorder.receivedLength, data.length);
      assert.ok(recorder.bytes.equals(data), 'the bytes arrived changed or out of order');
      assert.ok(pool.nulls > 0, 'credit never ran out, so the stall path was not exercised');
      // Every view lay inside one of the pool's two buffers: no backing memory was allocated for reads.
      assert.is(foreign(), 0);
      assert.is(overwritten(), 0, 'a buffer was read into while the reader still held it');
      assert.ok(pool.leases > 1024, 'the pool buffers were leased again and again');
    });
  }
}

/**
 * The exact-size reader the contract describes: one 100-byte frame buffer; after a short read it posts the
 * unfilled tail. Records any lease asked for before the previous one completed.
 */
class FrameSource implements BufferSource {
  readonly frame = Buffer.alloc(100);
  readonly frames: Buffer[] = [];
  filled = 0;
  posted = false;
  earlyLeases = 0;
  misplaced = 0;

  lease(): Buffer | null {
    if (this.posted) this.earlyLeases++;
    this.posted = true;
    return this.frame.subarray(this.filled);
  }

  complete(view: Buffer): void {
    this.posted = false;
    if (view.buffer !== this.frame.buffer || view.byteOffset !== this.frame.byteOffset + this.filled) this.misplaced++;
    this.filled += view.length;
    if (this.filled === this.frame.length) {
      this.frames.push(Buffer.from(this.frame));
      this.filled = 0;
    }
  }
}

for (const path of paths) {
  test(`${path.name}: one lease posted at a time, so an exact-size reader can post the unfilled tail`, async () => {
    const backend = nodeBackend({ zeroCopyLeasedReads: path.zeroCopy });
    const { server, client } = await connectPair(backend, open);
    const source = new FrameSource();
    const recorder = new TransportRecorder(server, { mode: 'leased', source });
    recorder.onCompleted = (chunks) => chunks.forEach((view) => source.complete(view));
    const data = pattern(100 * 50);
    for (let offset = 0; offset < data.length; offset += 37) {
      client.write(data.subarray(offset, offset + 37));
      if (offset % 370 === 0) await turns(1);
    }
    await until(() => source.frames.length === 50, '50 frames');
    assert.is(source.earlyLeases, 0);
    assert.is(source.misplaced, 0);
    assert.ok(Buffer.concat(source.frames).equals(data));
  });
}

test('a TLS-less Unix socket takes the zero-copy path too', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'rxloop-node-'));
  try {
    const { server, client } = await connectPair(nodeBackend(), open, { path: join(dir, 's.sock') });
    assert.is(server.features.zeroCopyLeasedReads, true);
    const pool = new LeasePool(2, 512);
    const { recorder, foreign } = leaseReader(server, pool);
    const data = pattern(200_000);
    client.write(data);
    await until(() => recorder.receivedLength === data.length, 'every byte');
    assert.ok(recorder.bytes.equals(data));
    assert.is(foreign(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
