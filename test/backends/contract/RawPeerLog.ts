import type { RawPeer } from './BackendHarness.js';

/** What a raw peer saw, filled in by the socket it wraps; {@link RawPeerLog.peer} makes the {@link RawPeer}. */
export class RawPeerLog {
  private readonly chunks: Buffer[] = [];
  ended = false;
  closed = false;
  errno: string | undefined;

  /** Keeps a copy of received bytes. */
  receive(chunk: Uint8Array): void {
    this.chunks.push(Buffer.from(chunk));
  }

  /** The raw peer over this log and the socket's three actions. */
  peer(actions: Pick<RawPeer, 'write' | 'end' | 'reset'>): RawPeer {
    const log = this;
    return {
      ...actions,
      get received() {
        return Buffer.concat(log.chunks);
      },
      get ended() {
        return log.ended;
      },
      get closed() {
        return log.closed;
      },
      get errno() {
        return log.errno;
      },
    };
  }
}
