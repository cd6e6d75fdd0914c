// The RESP baseline: a plain node:net server doing the same work as rxloop's RESP example (RESP arrays and inline
// commands, PING/SET/GET/CONFIG GET against a Map) with no RxJS and nothing generic, written for speed. It is the
// limit rxloop chases. Run: node dist/bench/baselines/plainResp.js [--port 0]; it prints {"ready":true,"port":N}.
import * as net from 'node:net';
import { childControl } from '../servers/childControl.js';

const store = new Map<string, Buffer>();

// Buffer's own latin1 fast paths (what toString('latin1') and write(..., 'latin1') call after their argument
// checks); not in @types/node, present on every Node since 0.x.
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(text: string, offset: number): number;
}

const PONG = Buffer.from('+PONG\r\n');
const OK = Buffer.from('+OK\r\n');
const NIL = Buffer.from('$-1\r\n');

// Replies of one read go into an arena that only moves forward, so a written view is never overwritten (the
// socket may still hold it); a full arena is replaced and lives on through its views.
const ARENA_BYTES = 256 * 1024;
let arena = Buffer.allocUnsafeSlow(ARENA_BYTES) as Latin1Buffer;
let batchStart = 0;
let offset = 0;

function reserve(bytes: number): void {
  if (offset + bytes <= arena.length) return;
  const used = offset - batchStart;
  const next = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, (used + bytes) * 2)) as Latin1Buffer;
  arena.copy(next, 0, batchStart, offset);
  arena = next;
  batchStart = 0;
  offset = used;
}

function put(bytes: Buffer): void {
  reserve(bytes.length);
  bytes.copy(arena, offset);
  offset += bytes.length;
}

function putText(text: string): void {
  reserve(text.length);
  offset += arena.latin1Write(text, offset);
}

function putBulk(value: Buffer): void {
  reserve(value.length + 16);
  const out = arena;
  out[offset++] = 36; // $
  offset += out.latin1Write(String(value.length), offset);
  out[offset++] = 13;
  out[offset++] = 10;
  value.copy(out, offset);
  offset += value.length;
  out[offset++] = 13;
  out[offset++] = 10;
}

// Where the arguments of the command being run are: buffer offsets, reused for every command.
let quitting = false;
const starts: number[] = [];
const ends: number[] = [];

/** Runs one command whose `argc` arguments lie in `buf` at starts/ends. */
function run(buf: Latin1Buffer, argc: number): void {
  const s = starts[0]!;
  const length = ends[0]! - s;
  const c0 = buf[s]! | 0x20;
  if (length === 3 && argc === 3 && c0 === 0x73 && (buf[s + 1]! | 0x20) === 0x65 && (buf[s + 2]! | 0x20) === 0x74) {
    // SET: the value is copied out of the read buffer so the store does not pin whole reads.
    const vs = starts[2]!;
    const ve = ends[2]!;
    const value = Buffer.allocUnsafe(ve - vs);
    buf.copy(value, 0, vs, ve);
    store.set(buf.latin1Slice(starts[1]!, ends[1]!), value);
    put(OK);
    return;
  }
  if (length === 3 && argc === 2 && c0 === 0x67 && (buf[s + 1]! | 0x20) === 0x65 && (buf[s + 2]! | 0x20) === 0x74) {
    const value = store.get(buf.latin1Slice(starts[1]!, ends[1]!));
    if (value === undefined) put(NIL);
    else putBulk(value);
    return;
  }
  if (length === 4 && c0 === 0x70 && (buf[s + 1]! | 0x20) === 0x69 && (buf[s + 2]! | 0x20) === 0x6e && (buf[s + 3]! | 0x20) === 0x67) {
    if (argc === 1) put(PONG);
    else putBulk(buf.subarray(starts[1]!, ends[1]!));
    return;
  }
  const name = buf.latin1Slice(s, s + length).toUpperCase();
  if (name === 'CONFIG' && argc === 3) {
    // redis-benchmark asks for `save` and `appendonly` before it starts.
    const key = buf.latin1Slice(starts[2]!, ends[2]!).toLowerCase();
    putText(`*2\r\n$${key.length}\r\n${key}\r\n`);
    putText(key === 'appendonly' ? '$2\r\nno\r\n' : '$0\r\n\r\n');
    return;
  }
  if (name === 'QUIT') {
    put(OK);
    quitting = true;
    return;
  }
  putText(`-ERR unknown command '${name}'\r\n`);
}

/** Parses a decimal number that ends in CR at or after `pos`; returns -1 when the line is incomplete. */
let numberEnd = 0;
function readNumber(buf: Buffer, pos: number): number {
  let value = 0;
  const length = buf.length;
  while (pos < length) {
    const c = buf[pos]!;
    if (c === 13) {
      numberEnd = pos + 2;
      return numberEnd <= length ? value : -1;
    }
    value = value * 10 + (c - 48);
    pos++;
  }
  return -1;
}

/** Runs every complete command in `buf` and returns how many bytes they used. */
function handle(buf: Latin1Buffer): number {
  const length = buf.length;
  let pos = 0;
  while (pos < length && !quitting) {
    if (buf[pos] === 42) {
      // *argc\r\n then argc times $len\r\n<bytes>\r\n
      const argc = readNumber(buf, pos + 1);
      if (argc < 0) break;
      let p = numberEnd;
      let complete = true;
      for (let i = 0; i < argc; i++) {
        if (p >= length) {
          complete = false;
          break;
        }
        const len = readNumber(buf, p + 1);
        if (len < 0) {
          complete = false;
          break;
        }
        starts[i] = numberEnd;
        ends[i] = numberEnd + len;
        p = numberEnd + len + 2;
        if (p > length) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      pos = p;
      if (argc > 0) run(buf, argc);
    } else {
      // An inline command: words separated by spaces, ended by \n (with an optional \r).
      const newline = buf.indexOf(10, pos);
      if (newline === -1) break;
      let end = newline > pos && buf[newline - 1] === 13 ? newline - 1 : newline;
      let argc = 0;
      let p = pos;
      while (p < end) {
        while (p < end && buf[p] === 32) p++;
        if (p >= end) break;
        const start = p;
        while (p < end && buf[p] !== 32) p++;
        starts[argc] = start;
        ends[argc] = p;
        argc++;
      }
      end = newline + 1;
      pos = end;
      if (argc > 0) run(buf, argc);
    }
  }
  return pos;
}

const server = net.createServer({ noDelay: true }, (socket) => {
  let pending: Buffer | undefined;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (pending !== undefined) {
      buf = Buffer.concat([pending, chunk]);
      pending = undefined;
    }
    const used = handle(buf as Latin1Buffer);
    if (used < buf.length) pending = Buffer.from(buf.subarray(used));
    if (offset > batchStart) {
      const reply = arena.subarray(batchStart, offset);
      batchStart = offset;
      socket.write(reply);
    }
    if (quitting) {
      quitting = false;
      pending = undefined;
      socket.end();
      socket.removeAllListeners('data');
    }
  });
});

server.listen(Number(childControl.arg('port', '0')), '127.0.0.1', () => {
  childControl.send({ ready: true, port: (server.address() as net.AddressInfo).port });
});
childControl.commands({ connections: () => new Promise((resolve) => server.getConnections((_e, n) => resolve({ connections: n }))) });
childControl.onStop(() => server.close());
