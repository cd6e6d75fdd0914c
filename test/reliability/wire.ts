// Raw node:net clients for the reliability tests: nothing of rxloop on the client side, so a bug cannot hide
// on both ends at once.
import { connect as netConnect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** A seeded generator, so a failing run can be replayed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `bytes` in random pieces with random pauses (a setImmediate or a 1 ms timer). */
export async function writeFragmented(socket: Socket, bytes: Buffer, random: () => number, maxPiece = 9000): Promise<void> {
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    const ok = socket.write(bytes.subarray(at, at + size));
    at += size;
    if (!ok) await new Promise((r) => socket.once('drain', r));
    const pause = random();
    if (pause < 0.05) await new Promise((r) => setTimeout(r, 1));
    else if (pause < 0.3) await new Promise((r) => setImmediate(r));
  }
}

/** Everything the socket receives until the peer ends it. */
export function receiveAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', reject);
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/** Splits a stream of 4-byte big-endian length-prefixed frames; throws on a partial frame. */
export function unframe(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    if (at + 4 > stream.length) throw new Error(`partial header at ${at}`);
    const size = stream.readUInt32BE(at);
    if (at + 4 + size > stream.length) throw new Error(`partial frame at ${at}: ${size} announced, ${stream.length - at - 4} there`);
    frames.push(stream.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return frames;
}

export function randomFrames(random: () => number, count: number, maxSize: number): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(Math.floor(random() * maxSize)));
}
