import * as assert from 'uvu/assert';
import type { Transport } from '../../../../src/backends/Backend.js';
import type { ContractCase } from '../ContractCase.js';
import type { ContractWorld } from '../ContractWorld.js';
import { LeasePool, leaseReader } from '../LeasePool.js';
import { pattern } from '../pattern.js';

/** Writes `data` in pieces of `size`, waiting until each is buffered at `reader` before the next. */
async function writeBuffered(world: ContractWorld, writer: Transport, reader: Transport, data: Buffer, size: number) {
  for (let offset = 0; offset < data.length; offset += size) {
    writer.write(data.subarray(offset, offset + size));
    const want = Math.min(data.length, offset + size);
    await world.until(() => reader.readableLength === want, `${want} buffered bytes`);
  }
}

/** The three read modes: readiness, completion, leased. */
export const readingCases: readonly ContractCase[] = [
  {
    name: 'readiness: read(n) takes exactly n across chunks, read() takes everything, null when empty',
    async run(world) {
      const { server, client } = await world.pair();
      const recorder = world.record(server, { mode: 'readiness' });
      recorder.onReadable = () => {}; // nothing is taken: the pieces stay buffered
      const data = pattern(70);
      await writeBuffered(world, client, server, data, 10);
      const taken: Buffer[] = [];
      const take = (size?: number): number => {
        const chunk = server.read(size);
        assert.ok(chunk !== null, `read(${String(size)}) found bytes`);
        taken.push(chunk);
        return chunk.length;
      };
      assert.is(take(25), 25, 'read(25) spans three writes');
      assert.is(take(7), 7);
      assert.is(take(), 38, 'read() without a size takes everything buffered');
      assert.is(server.read(), null);
      assert.is(server.read(5), null);
      assert.is(server.read(0), null);
      assert.ok(Buffer.concat(taken).equals(data), 'nothing lost, duplicated or reordered');
      await writeBuffered(world, client, server, data.subarray(0, 30), 10);
      assert.is(server.read(100)?.length, 30, 'read(n) over what is buffered takes all of it');
      client.end();
      await world.until(() => recorder.events.includes('ended'), 'the end of input once the buffer is empty');
    },
  },
  {
    name: 'readiness: readable() comes again while a reader takes part, and ended() after the last byte',
    async run(world) {
      const { server, client } = await world.pair();
      const sizes: number[] = [];
      const recorder = world.record(server, { mode: 'readiness' });
      // Takes one 7-byte frame per call: the backend must call again while whole frames wait.
      recorder.onReadable = () => {
        const chunk = server.read(7);
        if (chunk === null) return;
        sizes.push(chunk.length);
        recorder.keep(chunk);
      };
      const data = pattern(70);
      client.write(data);
      client.end();
      await world.until(() => recorder.events.includes('ended'), 'ended');
      assert.ok(recorder.bytes.equals(data));
      assert.equal(sizes, Array(10).fill(7));
      assert.is(server.readableLength, 0);
    },
  },
  {
    name: 'completion: chunks arrive in order; setReading(false) holds them until setReading(true)',
    async run(world) {
      const { server, client } = await world.pair();
      const recorder = world.record(server, { mode: 'completion' });
      for (let i = 0; i < 5; i++) {
        client.write(Buffer.from(`${i}`));
        await world.until(() => recorder.receivedLength === i + 1, `byte ${i}`);
      }
      server.setReading(false);
      client.write(Buffer.from('later'));
      await world.until(() => client.writableLength === 0, 'the client to flush');
      await world.turns(20);
      assert.is(recorder.text, '01234');
      server.setReading(true);
      await world.until(() => recorder.text === '01234later', 'the held bytes');
      assert.ok(recorder.batches.every((batch) => batch.length > 0 && batch.every((length) => length > 0)), 'no empty batch or chunk');
    },
  },
  {
    name: 'leased: completions are views of the source buffers, never written while the reader holds them',
    async run(world) {
      const { server, client } = await world.pair();
      assert.is(server.features.zeroCopyLeasedReads, world.harness.zeroCopyLeasedReads);
      const pool = new LeasePool(4, 1000);
      const { recorder, foreign, overwritten } = leaseReader(server, pool, world.clock.later);
      const data = pattern(200_000);
      client.write(data);
      client.end();
      await world.until(() => recorder.events.includes('ended'), 'the end of input');
      assert.ok(recorder.bytes.equals(data), 'the bytes arrived changed or out of order');
      assert.is(foreign(), 0, 'a view outside every leased buffer');
      assert.is(overwritten(), 0, 'a buffer was read into while the reader still held it');
      assert.ok(pool.leases >= 200, 'the pool buffers were leased again and again');
    },
  },
  {
    name: 'leased: no credit (lease() returns null) stops reading; setReading(true) resumes with nothing lost',
    async run(world) {
      const { server, client } = await world.pair();
      const pool = new LeasePool(2, 1024);
      const held: Buffer[] = [];
      const recorder = world.record(server, { mode: 'leased', source: pool });
      recorder.onCompleted = (chunks) => held.push(...chunks);
      const data = pattern(20_000);
      client.write(data);
      let stalls = 0;
      while (recorder.receivedLength < data.length) {
        const nulls = pool.nulls;
        await world.until(() => pool.nulls > nulls || recorder.receivedLength === data.length, 'the pool to run dry');
        if (recorder.receivedLength === data.length) break;
        stalls++;
        assert.is(pool.available, 0);
        const got = recorder.receivedLength;
        await world.turns(20);
        assert.is(recorder.receivedLength, got, 'read on without credit');
        for (const view of held.splice(0)) pool.release(view);
        server.setReading(true);
      }
      assert.ok(stalls >= 5, `credit ran out only ${stalls} times`);
      assert.ok(recorder.bytes.equals(data));
      assert.is(server.bytesRead, data.length);
    },
  },
];
