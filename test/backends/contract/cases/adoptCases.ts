import * as assert from 'uvu/assert';
import type { ContractCase } from '../ContractCase.js';

/** `Backend.adopt`: taking over a socket accepted elsewhere. */
export const adoptCases: readonly ContractCase[] = [
  {
    name: 'adopt takes over a socket accepted elsewhere: reading stopped until told, bytes both ways, orderly close',
    needs: ['adopt'],
    async run(world) {
      const { socket, peer } = await world.run.adoptable!();
      world.trackPeer(peer);
      peer.write(Buffer.from('sent before adopt'));
      const transport = world.track(world.backend.adopt!(socket));
      assert.is(transport.remoteAddress?.kind, 'inet');
      const recorder = world.record(transport, { mode: 'completion', reading: false });
      await world.turns(20);
      assert.is(recorder.receivedLength, 0, 'read before setReading(true)');
      transport.setReading(true);
      await world.until(() => recorder.text === 'sent before adopt', 'the early bytes');
      transport.write(Buffer.from('reply'));
      await world.until(() => peer.received.toString() === 'reply', 'the reply at the peer');
      peer.end();
      await world.until(() => recorder.events.includes('ended'), 'the end of input');
      transport.end();
      await world.until(() => recorder.isClosed && peer.ended, 'the orderly close');
      assert.equal(recorder.events, ['ended', 'closed']);
    },
  },
];
