import { Observable, type OperatorFunction, type Subscriber } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { sendTo } from '../../operators/sendTo.js';
import { LinkFrame } from './LinkFrame.js';
import { processState } from './processState.js';
import { RespSession } from './RespSession.js';
import { RespWriter } from './RespWriter.js';

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
      const link: Link = { sessions: new Map(), answering: undefined, pushes: undefined, subscriber };
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
      };
    });
}

/** One sub-reactor's link: its sessions, the answer being built while one of its reads is run, its pushes. */
interface Link {
  readonly sessions: Map<number, RespSession>;
  answering: Buffer[] | undefined;
  /** Messages for its sessions made while another link's read was run: one write once that read is done. */
  pushes: Buffer[] | undefined;
  readonly subscriber: Subscriber<Buffer[]>;
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
      const session = new RespSession(processState, { writer, deferDigest: true, addr, laddr });
      session.onPush = (message) => push(link, id, message);
      sessions.set(id, session);
      return;
    }
    case LinkFrame.DATA: {
      // A session closed here may still have data in flight from the sub-reactor: it is dropped, as Redis
      // drops what follows a QUIT.
      const session = sessions.get(id);
      if (session !== undefined) run(sessions, id, session, LinkFrame.payload(frame), out);
      return;
    }
    case LinkFrame.FIN: {
      const session = sessions.get(id);
      if (session === undefined) return;
      session.close();
      sessions.delete(id);
      out.push(LinkFrame.header(id, LinkFrame.CLOSE, 0, 0));
      return;
    }
    case LinkFrame.DROP:
      sessions.get(id)?.close();
      sessions.delete(id);
      return;
  }
}

/** The header written ahead of each reply batch, patched once the batch's length and kind are known. */
const placeholder = Buffer.alloc(LinkFrame.HEADER);

/**
 * Runs one chunk of a session. The frame header goes into the shared writer just before the session runs, so
 * the batch `handle` returns is header and replies in one piece, and the batches of one read lie next to each
 * other in the writer's slab: the whole answer to a read usually leaves as a single buffer, with no copy.
 */
function run(sessions: Map<number, RespSession>, id: number, session: RespSession, payload: Buffer, out: Buffer[]): void {
  if (session.closing) return; // closing sessions are removed at once; this only guards the header below
  let batch: Buffer;
  try {
    writer.raw(placeholder);
    batch = session.handle(payload);
    for (let work = session.deferred; work !== undefined; work = session.deferred) {
      LinkFrame.writeHeader(batch, id, LinkFrame.PART, 0, batch.length - LinkFrame.HEADER);
      append(out, batch);
      out.push(LinkFrame.header(id, LinkFrame.DIGEST, work.rounds, work.value.length));
      if (work.value.length > 0) out.push(typeof work.value === 'string' ? Buffer.from(work.value, 'latin1') : (work.value as Buffer));
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
  LinkFrame.writeHeader(batch, id, LinkFrame.DONE, payload.length, batch.length - LinkFrame.HEADER);
  append(out, batch);
  if (session.closing) {
    session.close();
    sessions.delete(id);
    out.push(LinkFrame.header(id, LinkFrame.CLOSE, 0, 0));
  }
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
