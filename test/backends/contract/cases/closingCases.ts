import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../../../src/errors.js';
import type { ContractCase } from '../ContractCase.js';
import { pattern } from '../pattern.js';

/** Half-close, orderly close, reset, and the order of the last calls. */
export const closingCases: readonly ContractCase[] = [
  {
    name: 'end() half-closes: the peer gets ended() after the data and can still write back; then both close',
    async run(world) {
      const { server, client } = await world.pair();
      const atServer = world.record(server, { mode: 'completion' });
      const atClient = world.record(client, { mode: 'readiness' });
      client.write(Buffer.from('question'));
      client.end();
      await world.until(() => atServer.events.includes('ended'), 'the server to see the end');
      assert.is(atServer.text, 'question');
      assert.is(server.write(Buffer.from('answer after your end')), true);
      await world.until(() => atClient.text === 'answer after your end', 'the answer');
      assert.not.ok(atClient.events.includes('ended'));
      assert.not.ok(atClient.isClosed, 'a half-closed transport closed before its input ended');
      server.end();
      await world.until(() => atServer.isClosed && atClient.isClosed, 'both closed');
      assert.equal(atServer.events, ['ended', 'closed']);
      assert.equal(atClient.events, ['ended', 'closed']);
    },
  },
  {
    name: 'close() flushes queued writes first, then closes both directions; later calls are refused quietly',
    async run(world) {
      const { server, client } = await world.pair();
      const atServer = world.record(server, { mode: 'completion' });
      const atClient = world.record(client, { mode: 'completion' });
      const data = pattern(1024 * 1024);
      client.write(data);
      client.close();
      await world.until(() => atServer.events.includes('ended'), 'the server to see the end');
      assert.ok(atServer.bytes.equals(data), 'close dropped or reordered queued bytes');
      server.close();
      await world.until(() => atServer.isClosed && atClient.isClosed, 'both closed');
      assert.is(atServer.closedWith, undefined);
      assert.is(atClient.closedWith, undefined);
      assert.is(client.write(Buffer.from('late')), false);
      client.end();
      client.close();
      client.abort();
      client.setReading(true);
      await world.turns(5);
    },
  },
  {
    name: 'abort() resets: the peer closes with ERR_CONNECTION_RESET, we close with no error, writes are refused',
    async run(world) {
      const { server, client } = await world.pair();
      const atServer = world.record(server, { mode: 'completion' });
      const atClient = world.record(client, { mode: 'completion' });
      client.write(Buffer.alloc(100_000));
      // A reset that arrives in the same poll as unread data reads as an orderly end under libuv (POLLHUP after a
      // short read is taken as EOF), so the reset follows once the data has landed.
      await world.until(() => atServer.receivedLength === 100_000, 'the data');
      client.abort();
      await world.until(() => atServer.isClosed && atClient.isClosed, 'both closed');
      assert.equal(atServer.events, ['closed:ERR_CONNECTION_RESET']);
      assert.instance(atServer.closedWith, RxloopError);
      assert.is(atServer.closedWith?.code, ErrorCode.CONNECTION_RESET);
      // A writer whose write returned false may get writable() first; closed is the last call either way.
      assert.is(atClient.events.at(-1), 'closed');
      assert.is(atClient.closedWith, undefined);
      assert.is(server.write(Buffer.from('x')), false);
      assert.is(client.write(Buffer.from('x')), false);
    },
  },
];
