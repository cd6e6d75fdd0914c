import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { sendTo } from '../../operators/sendTo.js';
import { LinkFrame } from './LinkFrame.js';
import { processState } from './processState.js';
import { RespSession } from './RespSession.js';
import { RespWriter } from './RespWriter.js';
import { DIGEST_HOLD_COUNT, REPLY_BUDGET } from './sessionReplies.js';

/** One writer for every session of this process (see RespSessionOptions.writer). */
const writer = new RespWriter();

/**
 * The keyspace service of the RESP server under `multiReactor`: the main process serves this module on a
 * private Unix socket (it is the handler module's `service` export), and each sub-reactor keeps one link to it
 * that carries the raw RESP bytes of all the sub-reactor's connections ({@link LinkFrame}). The service runs
 * one {@link RespSession} per client connection against the one {@link processState}, so every connection
 * of every sub-reactor sees one consistent keyspace, and multi-key commands (MSET, MGET, DEL, FLUSHALL) stay
 * atomic as in Redis.
 *
 * The service parses and executes; the sub-reactors do the client I/O. All frames of one read of a link are
 * answered with one write. DIGEST's value is read here, in order, and its hashing goes back to the
 * sub-reactor (a `DIGEST` frame), so a long DIGEST never stalls the service for the other connections. The
 * link is answered through `sendTo`, so a sub-reactor that stops reading stops the service reading it.
 *
 * Each session is paced by its client's socket: a batch stops once its replies pass the output budget, or
 * after a few DIGESTs, and the service sends `HELD` and waits for the sub-reactor's `MORE` (sent when the
 * client's connection can take more) before it runs the rest; `DATA` that comes meanwhile waits in line. So
 * 2,000 pipelined `GET`s of a 1 MB value are answered as the client reads, under every topology.
 *
 * The channel space of PUBLISH and SUBSCRIBE is the service's too: a message for a subscriber leaves on its
 * sub-reactor's link as a `PUSH` frame, in order with that session's replies (the sub-reactor applies the
 * slow-subscriber bound at the client's socket).
 *
 * ## Example
 * ```ts
 * import { listen } from 'rxloop';
 * import { mergeMap } from 'rxjs';
 * import keyspaceService from './keyspaceService.js';
 *
 * // What the main process of a multi-reactor does with it, by hand.
 * listen({ path: '/tmp/keyspace.sock' }).pipe(mergeMap(keyspaceService)).subscribe();
 * ```
 *
 * @param link a sub-reactor's link
 * @returns the pipeline that serves it
 */
export default function keyspaceService(link: Connection): Observable<never> {
  return link.data$.pipe(LinkFrame.decode(), answerSessions(), sendTo(link));
}

/** Runs each read's frames against the sessions of one link and emits the answer frames as one batch. */
function answerSessions(): OperatorFunction<Buffer[], Buffer[]> {
  return (source) =>
    new Observable<Buffer[]>((subscriber) => {
      const link: Link = { sessions: new Map(), held: new Map(), answering: undefined, pushes: undefined, subscriber };
      const upstream = source.subscribe({
        next: (frames) => {
          const out: Buffer[] = [];
          link.answering = out;
          for (let i = 0; i < frames.length; i++) answer(link, frames[i]!, out);
          link.answering = undefined;
          if (out.length > 0) subscriber.next(out);
          flushPushes();
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        upstream.unsubscribe();
        pushing.delete(link);
        for (const session of link.sessions.values()) session.close();
        link.sessions.clear();
        link.held.clear();
      };
    });
}

/** One sub-reactor's link: its sessions, the answer being built while one of its reads is run, its pushes. */
interface Link {
  readonly sessions: Map<number, RespSession>;
  /** Sessions waiting for `MORE`: the length of the `DATA` they are answering, and the `DATA` behind it. */
  readonly held: Map<number, Held>;
  answering: Buffer[] | undefined;
  /** Messages for its sessions made while another link's read was run: one write once that read is done. */
  pushes: Buffer[] | undefined;
  readonly subscriber: Subscriber<Buffer[]>;
}

/** A session that sent `HELD`. */
interface Held {
  readonly length: number;
  readonly later: Buffer[];
  /** The client's input ended meanwhile: close the session once the rest has run. */
  fin: boolean;
}

/** Links with pushes waiting. */
const pushing = new Set<Link>();

/**
 * A message for session `id` of `link`: added to the answer being built when the link's own read is being run
 * (behind the replies that session got earlier in it), else gathered with the link's other pushes of this read
 * (a PUBLISH to 100 subscribers of one sub-reactor is one write to it).
 */
function push(link: Link, id: number, frame: Buffer): void {
  const header = LinkFrame.header(id, LinkFrame.PUSH, 0, frame.length);
  if (link.answering !== undefined) {
    link.answering.push(header, frame);
    return;
  }
  if (link.pushes === undefined) {
    link.pushes = [];
    pushing.add(link);
  }
  link.pushes.push(header, frame);
}

/** Writes the pushes gathered while a read was run. */
function flushPushes(): void {
  if (pushing.size === 0) return;
  for (const link of pushing) {
    const pushes = link.pushes!;
    link.pushes = undefined;
    if (!link.subscriber.closed) link.subscriber.next(pushes);
  }
  pushing.clear();
}

function answer(link: Link, frame: Buffer, out: Buffer[]): void {
  const id = LinkFrame.session(frame);
  const sessions = link.sessions;
  switch (LinkFrame.kind(frame)) {
    case LinkFrame.OPEN: {
      const [addr = '', laddr = ''] = LinkFrame.payload(frame).toString('latin1').split('\n');
      const session = new RespSession(processState, { writer, deferDigest: true, outputBudget: REPLY_BUDGET, addr, laddr });
      session.onPush = (message) => push(link, id, message);
      sessions.set(id, session);
      return;
    }
    case LinkFrame.DATA: {
      // A session closed here may still have data in flight from the sub-reactor: it is dropped, as Redis
      // drops what follows a QUIT.
      const session = sessions.get(id);
      if (session === undefined || session.closing) return;
      const payload = LinkFrame.payload(frame);
      const held = link.held.get(id);
      if (held !== undefined) held.later.push(payload);
      else run(link, id, session, payload.length, payload, { length: 0, later: [], fin: false }, out);
      return;
    }
    case LinkFrame.MORE: {
      const session = sessions.get(id);
      const held = link.held.get(id);
      if (session === undefined || held === undefined) return;
      link.held.delete(id);
      run(link, id, session, held.length, undefined, held, out);
      return;
    }
    case LinkFrame.FIN: {
      const session = sessions.get(id);
      if (session === undefined) return;
      // A held session answers what it has read first, as the client reads it.
      const held = link.held.get(id);
      if (held !== undefined) held.fin = true;
      else finish(link, id, session, out);
      return;
    }
    case LinkFrame.DROP:
      sessions.get(id)?.close();
      sessions.delete(id);
      link.held.delete(id);
      return;
  }
}

/** The header written ahead of each reply batch, patched once the batch's length and kind are known. */
const placeholder = Buffer.alloc(LinkFrame.HEADER);

/**
 * Runs a session's chunk (`payload`), or the rest of its held batch (`payload` undefined), then the `DATA` that
 * waited behind it. The frame header goes into the shared writer just before the session runs, so the batch
 * `handle` returns is header and replies in one piece, and the batches of one read lie next to each other in
 * the writer's slab: the whole answer to a read usually leaves as a single buffer, with no copy. A batch that
 * passes the output budget, or hands out DIGEST_HOLD_COUNT DIGESTs, ends with `HELD` instead of `DONE`.
 */
function run(
  link: Link,
  id: number,
  session: RespSession,
  length: number,
  payload: Buffer | undefined,
  queue: Held,
  out: Buffer[],
): void {
  for (;;) {
    if (!answerBatch(link, id, session, length, payload, queue, out)) return;
    const next = queue.later.shift();
    if (next === undefined) break;
    length = next.length;
    payload = next;
  }
  if (queue.fin) finish(link, id, session, out);
}

/** The client's input has ended and everything before is answered: the session is over. */
function finish(link: Link, id: number, session: RespSession, out: Buffer[]): void {
  session.close();
  link.sessions.delete(id);
  out.push(LinkFrame.header(id, LinkFrame.CLOSE, 0, 0));
}

/** One chunk's (or a held batch's) replies; `true` when they ended with `DONE` and the session goes on. */
function answerBatch(
  link: Link,
  id: number,
  session: RespSession,
  length: number,
  payload: Buffer | undefined,
  queue: Held,
  out: Buffer[],
): boolean {
  let batch: Buffer;
  let digests = 0;
  try {
    writer.raw(placeholder);
    batch = payload === undefined ? session.resume() : session.handle(payload);
    for (;;) {
      const work = session.deferred;
      if (work === undefined && !session.paused) break;
      LinkFrame.writeHeader(batch, id, LinkFrame.PART, 0, batch.length - LinkFrame.HEADER);
      append(out, batch);
      if (work !== undefined) {
        out.push(LinkFrame.header(id, LinkFrame.DIGEST, work.rounds, work.value.length));
        if (work.value.length > 0) out.push(typeof work.value === 'string' ? Buffer.from(work.value, 'latin1') : (work.value as Buffer));
        digests++;
      }
      if (session.paused || digests >= DIGEST_HOLD_COUNT) {
        link.held.set(id, { length, later: queue.later, fin: queue.fin });
        out.push(LinkFrame.header(id, LinkFrame.HELD, 0, 0));
        return false;
      }
      writer.raw(placeholder);
      batch = session.resume();
    }
  } catch {
    // A command with a bug: the session dropped its batch (our header with it) and is closing; only this
    // connection is told.
    writer.raw(placeholder);
    writer.error('ERR internal error');
    batch = writer.take();
  }
  LinkFrame.writeHeader(batch, id, LinkFrame.DONE, length, batch.length - LinkFrame.HEADER);
  append(out, batch);
  if (!session.closing) return true;
  finish(link, id, session, out);
  return false;
}

/** Adds a batch to the answer, joining it to the previous one when they are adjacent in the writer's slab. */
function append(out: Buffer[], batch: Buffer): void {
  const last = out.length - 1;
  const previous = out[last];
  if (previous !== undefined && previous.buffer === batch.buffer && previous.byteOffset + previous.length === batch.byteOffset) {
    out[last] = Buffer.from(previous.buffer, previous.byteOffset, previous.length + batch.length);
  } else {
    out.push(batch);
  }
}
