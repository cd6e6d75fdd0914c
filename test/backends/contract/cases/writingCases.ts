import * as assert from 'uvu/assert';
import type { ContractCase } from '../ContractCase.js';

/** Writing: backpressure, cork, counters. */
export const writingCases: readonly ContractCase[] = [
  {
    name: 'backpressure: write returns false at the high-water mark against a peer that does not read; writable() follows once it reads',
    async run(world) {
      const { server, client } = await world.pair();
      const reader = world.record(server, { mode: 'completion', reading: false });
      const writer = world.record(client, { reading: false });
      let lengthAtWritable = -1;
      writer.onWritable = () => (lengthAtWritable = client.writableLength);
      const chunk = Buffer.alloc(64 * 1024, 1);
      let written = 0;
      let accepted = true;
      for (let i = 0; i < 10_000 && accepted; i++) {
        accepted = client.write(chunk);
        written += chunk.length;
        await world.turns(1);
      }
      assert.is(accepted, false, 'write never returned false');
      assert.ok(client.writableLength >= client.writableHighWaterMark, 'false below the high-water mark');
      await world.turns(10);
      assert.not.ok(writer.events.includes('writable'), 'writable() while the peer still does not read');
      server.setReading(true);
      await world.until(() => writer.events.includes('writable'), 'writable()');
      assert.ok(lengthAtWritable < client.writableHighWaterMark, `writable() at ${lengthAtWritable} queued bytes`);
      await world.until(() => reader.receivedLength === written, 'every byte at the reader');
      assert.is(client.bytesWritten, written);
      assert.is(server.bytesRead, written);
      assert.is(client.writableLength, 0);
    },
  },
  {
    name: 'cork holds writes until uncork, then they leave together',
    async run(world) {
      const { server, client } = await world.pair();
      const recorder = world.record(server, { mode: 'completion' });
      client.cork();
      client.write(Buffer.from('one '));
      client.write(Buffer.from('two '));
      client.write(Buffer.from('three'));
      await world.turns(10);
      assert.is(recorder.receivedLength, 0, 'corked bytes left early');
      assert.is(client.writableLength, 13);
      client.uncork();
      await world.until(() => recorder.text === 'one two three', 'the corked writes');
      assert.is(client.writableLength, 0);
    },
  },
  {
    name: 'bytesRead and bytesWritten count every byte, both ways',
    async run(world) {
      const { server, client } = await world.pair();
      const atServer = world.record(server, { mode: 'completion' });
      const atClient = world.record(client, { mode: 'readiness' });
      assert.equal([server.bytesRead, server.bytesWritten, client.bytesRead, client.bytesWritten], [0, 0, 0, 0]);
      client.write(Buffer.alloc(12_345));
      server.write(Buffer.alloc(543));
      await world.until(() => atServer.receivedLength === 12_345 && atClient.receivedLength === 543, 'the bytes');
      assert.equal([server.bytesRead, server.bytesWritten, client.bytesRead, client.bytesWritten], [12_345, 543, 543, 12_345]);
      assert.is(server.readableLength, 0);
      assert.is(client.readableLength, 0);
    },
  },
];
