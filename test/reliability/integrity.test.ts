import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { serve, singleReactor, type Server } from '../../schedulers/index.js';
import { frame, openSocket, randomFrames, receiveAll, seeded, sha256, unframe, writeFragmented } from './wire.js';

const fixtures = new URL('../fixtures/', import.meta.url);
let echo: Server;
let framed: Server;

test.before(async () => {
  echo = await serve(new URL('plainEcho.js', fixtures), { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
  framed = await serve(new URL('framedEcho.js', fixtures), { host: '127.0.0.1', port: 0, scheduler: singleReactor() });
});

test.after(async () => {
  await Promise.all([echo.stop({ deadline: 1000 }), framed.stop({ deadline: 1000 })]);
});

const portOf = (server: Server) => (server.address.kind === 'inet' ? server.address.port : 0);

test('echo: 24 concurrent connections, random streams in random fragments and pauses, every byte once and in order', async () => {
  const results = await Promise.all(
    Array.from({ length: 24 }, async (_, i) => {
      const random = seeded(1000 + i);
      const payload = randomBytes(256 * 1024 + Math.floor(random() * 768 * 1024));
      const socket = await openSocket(portOf(echo));
      const received = receiveAll(socket);
      await writeFragmented(socket, payload, random);
      socket.end();
      const echoed = await received;
      socket.destroy();
      return { seed: 1000 + i, sent: sha256(payload), got: sha256(echoed), length: echoed.length, expected: payload.length };
    }),
  );
  for (const r of results) {
    assert.is(r.length, r.expected, `seed ${r.seed}: length`);
    assert.is(r.got, r.sent, `seed ${r.seed}: checksum`);
  }
});

test('length-prefixed pipeline: 16 connections x 200 frames, replies complete, checksummed and in order', async () => {
  const results = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const random = seeded(2000 + i);
      const frames = randomFrames(random, 200, 20_000);
      const socket = await openSocket(portOf(framed));
      const received = receiveAll(socket);
      await writeFragmented(socket, Buffer.concat(frames.map(frame)), random, 3000);
      socket.end();
      const replies = unframe(await received);
      socket.destroy();
      return { seed: 2000 + i, frames, replies };
    }),
  );
  for (const { seed, frames, replies } of results) {
    assert.is(replies.length, frames.length, `seed ${seed}: reply count`);
    replies.forEach((reply, k) => {
      assert.is(reply.subarray(0, 32).toString('hex'), sha256(frames[k]!), `seed ${seed}: reply ${k} checksum`);
      assert.ok(reply.subarray(32).equals(frames[k]!), `seed ${seed}: reply ${k} body`);
    });
  }
});

test.run();
