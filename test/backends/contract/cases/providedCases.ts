import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../../../src/errors.js';
import type { ContractCase } from '../ContractCase.js';
import { pattern } from '../pattern.js';

// 'provided' reads: where a backend has receive buffers of its own (uring's provided buffer ring), completions
// are views of them that the reader gives back; where it has none, the mode is refused with a coded error.

export const providedCases: readonly ContractCase[] = [
  {
    name: "provided: completions are views of the backend's buffers, in order, each given back; refused where there are none",
    async run(world) {
      const { server, client } = await world.pair();
      const size = world.harness.providedBufferSize;
      if (size === undefined) {
        assert.is(server.features.providedBuffers, undefined);
        try {
          server.setReadMode('provided', { credit: 4 });
          assert.unreachable('a backend without buffers of its own took provided reads');
        } catch (error) {
          assert.instance(error, RxloopError);
          assert.is((error as RxloopError).code, ErrorCode.UNSUPPORTED);
        }
        return;
      }
      assert.equal(server.features.providedBuffers, { bufferSize: size });
      const memories = new Set<ArrayBufferLike>();
      let largest = 0;
      const recorder = world.record(server, { mode: 'provided', source: { credit: 4 } });
      recorder.onCompleted = (views) => {
        for (const view of views) {
          memories.add(view.buffer);
          largest = Math.max(largest, view.length);
          server.releaseProvided!(view);
        }
      };
      const data = pattern(1_000_000);
      client.write(data);
      client.end();
      await world.until(() => recorder.events.includes('ended'), 'the end of input');
      assert.ok(recorder.bytes.equals(data), 'the bytes arrived changed or out of order');
      assert.is(memories.size, 1, 'views of more than one memory');
      assert.ok(largest <= size, `a view of ${largest} bytes, over the buffer size ${size}`);
    },
  },
  {
    name: 'provided: held views are the credit: reading stops while the reader holds them, giving them back resumes, nothing lost',
    async run(world) {
      const size = world.harness.providedBufferSize;
      const { server, client } = await world.pair();
      if (size === undefined) {
        assert.is(server.features.providedBuffers, undefined);
        return;
      }
      const held: Buffer[] = [];
      const recorder = world.record(server, { mode: 'provided', source: { credit: 2 } });
      recorder.onCompleted = (views) => held.push(...views);
      const data = pattern(4_000_000);
      client.write(data);
      client.end();
      let stalls = 0;
      const ended = () => recorder.events.includes('ended');
      while (!ended()) {
        await world.until(() => held.length >= 2 || ended(), 'the credit to be spent');
        if (ended()) break;
        const got = recorder.receivedLength;
        await world.turns(20);
        assert.is(recorder.receivedLength, got, 'read on while the reader held its whole credit');
        stalls++;
        for (const view of held.splice(0)) server.releaseProvided!(view);
      }
      for (const view of held.splice(0)) server.releaseProvided!(view);
      assert.ok(stalls >= 10, `the credit was spent only ${stalls} times`);
      assert.ok(recorder.bytes.equals(data));
      assert.is(server.bytesRead, data.length);
    },
  },
];
