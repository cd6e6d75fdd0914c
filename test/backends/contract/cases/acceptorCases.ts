import * as assert from 'uvu/assert';
import type { Transport } from '../../../../src/backends/Backend.js';
import { ErrorCode, type RxloopError } from '../../../../src/errors.js';
import type { ContractCase } from '../ContractCase.js';
import { connectSpecFor } from '../ContractWorld.js';

/** Listening, connecting, cancelling and releasing addresses. */
export const acceptorCases: readonly ContractCase[] = [
  {
    name: 'listen on TCP port 0 reports the real address, after listen returned',
    async run(world) {
      const { acceptor, address } = await world.listen();
      assert.is(address.kind, 'inet');
      if (address.kind !== 'inet') return;
      assert.ok(address.port > 0 && address.port < 65536, `port ${address.port}`);
      assert.is(address.address, '127.0.0.1');
      assert.is(address.family, 'IPv4');
      assert.equal(acceptor.address, address);
    },
  },
  {
    name: 'listen on a Unix path reports the path',
    needs: ['unix'],
    async run(world) {
      const path = world.run.unixPath!();
      const { acceptor, address } = await world.listen({ path });
      assert.equal(address, { kind: 'unix', path });
      assert.equal(acceptor.address, address);
    },
  },
  {
    name: 'accept and connect make a pair: addresses agree, features as declared, reading starts stopped',
    async run(world) {
      const { listening, server, client } = await world.pair();
      assert.equal(server.localAddress, listening.address);
      assert.equal(client.remoteAddress, listening.address);
      assert.equal(server.remoteAddress, client.localAddress);
      assert.is(client.localAddress?.kind, 'inet');
      const provided = world.harness.providedBufferSize;
      const features = {
        zeroCopyLeasedReads: world.harness.zeroCopyLeasedReads,
        secure: false,
        ...(provided === undefined ? {} : { providedBuffers: { bufferSize: provided } }),
      };
      assert.equal({ ...server.features }, features);
      assert.equal({ ...client.features }, features);
      assert.ok(server.writableHighWaterMark > 0);
      client.write(Buffer.from('early'));
      const recorder = world.record(server, { mode: 'completion', reading: false });
      await world.until(() => client.writableLength === 0, 'the client to flush');
      await world.turns(20);
      assert.is(server.bytesRead, 0, 'read before setReading(true)');
      assert.is(recorder.receivedLength, 0);
      server.setReading(true);
      await world.until(() => recorder.text === 'early', 'the early bytes');
    },
  },
  {
    name: 'a Unix pair carries bytes both ways, with the path on both ends',
    needs: ['unix'],
    async run(world) {
      const path = world.run.unixPath!();
      const { server, client } = await world.pair({ path });
      assert.equal(server.localAddress, { kind: 'unix', path });
      assert.equal(client.remoteAddress, { kind: 'unix', path });
      const atServer = world.record(server, { mode: 'completion' });
      atServer.onCompleted = (chunks) => chunks.forEach((chunk) => server.write(Buffer.from(chunk)));
      atServer.onEnded = () => server.end();
      const atClient = world.record(client, { mode: 'readiness' });
      client.write(Buffer.from('over a path'));
      client.end();
      await world.until(() => atClient.isClosed && atServer.isClosed, 'both closed');
      assert.is(atClient.text, 'over a path');
      assert.equal(atClient.events, ['ended', 'closed']);
    },
  },
  {
    name: 'connect where nobody listens fails with ERR_CONNECT_REFUSED, never from inside connect',
    async run(world) {
      const { acceptor, address } = await world.listen();
      acceptor.close();
      await world.turns(2);
      const error = (await world.connect(connectSpecFor(address)).catch((e: unknown) => e)) as RxloopError;
      assert.is(error.code, ErrorCode.CONNECT_REFUSED);
      assert.is(error.errno, 'ECONNREFUSED');
      if (address.kind === 'inet') assert.match(error.message, String(address.port));
    },
  },
  {
    name: 'cancel() of a connect attempt: no sink call follows; after connected it does nothing',
    async run(world) {
      const { address, accepted } = await world.listen();
      const calls: string[] = [];
      const attempt = world.backend.connect(connectSpecFor(address), {
        connected: (transport) => {
          world.track(transport);
          calls.push('connected');
        },
        failed: (error) => calls.push(`failed:${error.code}`),
      });
      attempt.cancel();
      attempt.cancel();
      await world.turns(30);
      assert.equal(calls, []);
      let client: Transport | undefined;
      const second = world.backend.connect(connectSpecFor(address), {
        connected: (transport) => (client = world.track(transport)),
        failed: (error) => assert.unreachable(error.code),
      });
      await world.until(() => client !== undefined, 'the second connect');
      second.cancel();
      await world.until(() => accepted.length > 0, 'the accept');
      const server = accepted.at(-1)!;
      const atServer = world.record(server, { mode: 'completion' });
      client!.write(Buffer.from('still connected'));
      await world.until(() => atServer.text === 'still connected', 'the bytes');
    },
  },
  {
    name: 'acceptor close releases the address: connects are refused, the address listens again, accepted pairs live on',
    async run(world) {
      const { listening, server, client } = await world.pair();
      listening.acceptor.close();
      listening.acceptor.close();
      const error = (await world.connect(connectSpecFor(listening.address)).catch((e: unknown) => e)) as RxloopError;
      assert.is(error.code, ErrorCode.CONNECT_REFUSED);
      const again = await world.listen(
        listening.address.kind === 'inet' ? { host: '127.0.0.1', port: listening.address.port } : { path: listening.address.path },
      );
      assert.equal(again.address, listening.address);
      const atServer = world.record(server, { mode: 'completion' });
      atServer.onCompleted = (chunks) => chunks.forEach((chunk) => server.write(Buffer.from(chunk)));
      const atClient = world.record(client, { mode: 'completion' });
      client.write(Buffer.from('after the acceptor closed'));
      await world.until(() => atClient.text === 'after the acceptor closed', 'the echo');
      assert.is(listening.accepted.length, 0, 'the closed acceptor accepted nothing more');
    },
  },
  {
    name: 'a second listen on an address in use fails with ERR_ADDRESS_IN_USE and nothing else',
    async run(world) {
      const { address } = await world.listen();
      const error = (await world.listen(
        address.kind === 'inet' ? { host: '127.0.0.1', port: address.port } : { path: address.path },
      ).catch((e: unknown) => e)) as RxloopError;
      assert.is(error.code, ErrorCode.ADDRESS_IN_USE);
    },
  },
  {
    name: 'an acceptor closed before listening was delivered makes no sink call',
    async run(world) {
      const calls: string[] = [];
      world.backend
        .listen({ host: '127.0.0.1', port: 0 }, {
          listening: () => calls.push('listening'),
          accepted: () => calls.push('accepted'),
          failed: () => calls.push('failed'),
        })
        .close();
      await world.turns(30);
      assert.equal(calls, []);
    },
  },
];
