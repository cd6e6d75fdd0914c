import { Observable, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { ErrorCode, RxloopError } from '../../src/errors.js';
import { serviceLink } from '../../schedulers/serviceLink.js';
import { LinkFrame } from './LinkFrame.js';
import { OutputLimit } from './OutputLimit.js';
import type { RespHeld, RespOutput } from './RespOutput.js';
import { RespWriter } from './RespWriter.js';

/** Bytes a connection may have forwarded and not had answered before it stops reading. */
const HIGH_WATER = 1024 * 1024;

/** One client connection's state on the link. */
interface LinkSession {
  readonly subscriber: Subscriber<RespOutput>;
  readonly connection: Connection;
  /** Bytes forwarded whose `DONE` has not come back. */
  unanswered: number;
  release: (() => void) | undefined;
  /** The slow-subscriber bound, made at the first PUSH. */
  limit: OutputLimit | undefined;
  /** What `HELD` emits: its `proceed` sends `MORE`. */
  held: RespHeld | undefined;
}

const links = new Map<string, KeyspaceLink>();

/**
 * A sub-reactor's side of the link to the keyspace service (see `keyspaceService` and {@link LinkFrame}): one
 * link per sub-reactor, shared by every connection it serves. The link is `serviceLink`'s: the service's Unix
 * socket from a sub-reactor process, a pair of shared memory rings from a sub-reactor thread (the service runs
 * on the main thread of the same process); the frames are the same either way. {@link KeyspaceLink.forward}
 * is a connection's RESP engine: it sends the chunks the connection reads, as read, and emits the replies
 * that come back, in order, exactly as `respReplies` does for a keyspace in the same process.
 *
 * The frames of every connection are gathered in one buffer and leave in one write per turn of the event loop
 * (at `setImmediate`, after the loop has run the callbacks of every socket that was ready), so the service
 * reads the traffic of many connections at once. A connection whose forwarded bytes are not
 * answered (1 MiB outstanding) stops reading until they are, so a slow service slows the clients, not our
 * memory. Messages published to a connection's channels come back as `PUSH` frames, in order with its
 * replies; a subscriber whose unsent output passes Redis's pubsub limits (see `OutputLimit`) fails with
 * `ERR_OVERLOADED` and is closed. If the link fails, every connection on it fails with it (and is closed); the
 * next connection connects again.
 *
 * ## Example
 * ```ts
 * import type { Connection } from 'rxloop';
 * import { sendTo } from 'rxloop/operators';
 * import { filter } from 'rxjs';
 * import { KeyspaceLink } from './KeyspaceLink.js';
 *
 * export default function handler(connection: Connection) {
 *   return connection.data$.pipe(
 *     KeyspaceLink.to('/tmp/keyspace.sock').forward(connection),
 *     filter((output): output is Buffer => Buffer.isBuffer(output)),
 *     sendTo(connection),
 *   );
 * }
 * ```
 */
export class KeyspaceLink {
  private readonly path: string;
  private readonly sessions = new Map<number, LinkSession>();
  private link: Connection | undefined;
  private linking: Subscription | undefined;
  /** The frames of this turn, copied one after the other (a slab that hands out views, see RespWriter). */
  private readonly out = new RespWriter();
  private readonly header = Buffer.alloc(LinkFrame.HEADER);
  private flushing = false;
  /** Frames of earlier turns, while the link is not up yet. */
  private readonly queued: Buffer[] = [];
  private nextSession = 0;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * The link of this process to the service at `path` (one per path, made on first use).
   *
   * @param path the service's Unix socket
   * @returns the shared link
   */
  static to(path: string): KeyspaceLink {
    let link = links.get(path);
    if (link === undefined) {
      link = new KeyspaceLink(path);
      links.set(path, link);
    }
    return link;
  }

  /**
   * A connection's RESP engine over the link: forwards each chunk read and emits the replies (and DIGEST work)
   * in order. At the end of input it completes once the replies to everything read are out; after a QUIT or a
   * protocol error it completes right after their replies.
   *
   * @param connection the client connection (held while too much it sent is unanswered)
   * @param addresses the client's address and the server's end, as CLIENT LIST shows them, asked when the
   *   first bytes are forwarded (after a PROXY protocol header, say)
   * @returns an operator from chunks read to outputs in reply order
   */
  forward(connection: Connection, addresses: () => string = () => '\n'): OperatorFunction<Buffer, RespOutput> {
    return (source) =>
      new Observable<RespOutput>((subscriber) => {
        this.nextSession = (this.nextSession + 1) >>> 0;
        const id = this.nextSession;
        const session: LinkSession = { subscriber, connection, unanswered: 0, release: undefined, limit: undefined, held: undefined };
        this.sessions.set(id, session);
        let opened = false;
        const open = (): void => {
          if (opened) return;
          opened = true;
          this.send(id, LinkFrame.OPEN, Buffer.from(addresses(), 'latin1'));
        };
        const upstream = source.subscribe({
          next: (chunk) => {
            open();
            session.unanswered += chunk.length;
            this.send(id, LinkFrame.DATA, chunk);
            if (session.unanswered > HIGH_WATER && session.release === undefined) session.release = connection.hold();
          },
          error: (error) => subscriber.error(error),
          // The service answers everything sent before, then CLOSE completes us.
          complete: () => {
            open();
            this.send(id, LinkFrame.FIN, undefined);
          },
        });
        return () => {
          upstream.unsubscribe();
          session.release?.();
          if (this.sessions.delete(id) && opened) this.send(id, LinkFrame.DROP, undefined);
        };
      });
  }

  private send(id: number, kind: number, payload: Buffer | undefined): void {
    LinkFrame.writeHeader(this.header, id, kind, 0, payload?.length ?? 0);
    this.out.raw(this.header);
    if (payload !== undefined) this.out.raw(payload);
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const frames = this.out.take();
    if (frames.length === 0) return;
    const link = this.link;
    if (link === undefined) {
      this.queued.push(frames);
      this.open();
      return;
    }
    try {
      link.write(frames);
    } catch (error) {
      this.fail(error);
    }
  };

  private open(): void {
    if (this.linking !== undefined) return;
    this.linking = serviceLink(this.path).subscribe({
      next: (link) => {
        this.link = link;
        link.data$.pipe(LinkFrame.decode()).subscribe({
          next: (frames) => {
            for (let i = 0; i < frames.length; i++) this.receive(frames[i]!);
          },
          error: (error: unknown) => this.fail(error),
          complete: () => this.fail(undefined),
        });
        const queued = this.queued.splice(0);
        link.cork();
        for (const frames of queued) link.write(frames);
        link.uncork();
      },
      error: (error: unknown) => this.fail(error),
      complete: () => this.fail(undefined),
    });
  }

  private receive(frame: Buffer): void {
    const session = this.sessions.get(LinkFrame.session(frame));
    if (session === undefined) return; // gone while its replies were on their way
    const subscriber = session.subscriber;
    switch (LinkFrame.kind(frame)) {
      case LinkFrame.PART:
        subscriber.next(LinkFrame.payload(frame));
        return;
      case LinkFrame.DIGEST:
        subscriber.next({ value: LinkFrame.payload(frame), rounds: LinkFrame.arg(frame) });
        return;
      case LinkFrame.DONE: {
        const payload = LinkFrame.payload(frame);
        if (payload.length > 0) subscriber.next(payload);
        session.unanswered -= LinkFrame.arg(frame);
        if (session.release !== undefined && session.unanswered <= HIGH_WATER / 2) {
          session.release();
          session.release = undefined;
        }
        return;
      }
      case LinkFrame.PUSH: {
        const payload = LinkFrame.payload(frame);
        const failure = (session.limit ??= new OutputLimit()).check(session.connection.writableLength + payload.length);
        if (failure === undefined) subscriber.next(payload);
        else subscriber.error(failure);
        return;
      }
      case LinkFrame.HELD: {
        const id = LinkFrame.session(frame);
        subscriber.next((session.held ??= { proceed: () => {
          if (this.sessions.get(id) === session) this.send(id, LinkFrame.MORE, undefined);
        } }));
        return;
      }
      case LinkFrame.CLOSE:
        this.sessions.delete(LinkFrame.session(frame));
        subscriber.complete();
        return;
    }
  }

  /** The link is gone: every session on it fails, and the next one connects again. */
  private fail(error: unknown): void {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    const link = this.link;
    const linking = this.linking;
    this.link = undefined;
    this.linking = undefined;
    this.queued.length = 0;
    this.out.discard();
    linking?.unsubscribe();
    link?.abort();
    if (sessions.length === 0) return;
    const failure = new RxloopError(ErrorCode.SOCKET_CLOSED,
      `expected the keyspace service at ${this.path} to stay connected, but the link ${error === undefined ? 'closed' : 'failed'}`,
      { cause: error });
    for (const session of sessions) session.subscriber.error(failure);
  }
}
