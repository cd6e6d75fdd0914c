import { globMatch } from './globMatch.js';
import { writeInteger } from './writeInteger.js';

/** What {@link Channels} delivers to: a connection's session. */
export interface ChannelSubscriber {
  /** The protocol the subscriber speaks: its messages are `*3` arrays in RESP2, `>3` pushes in RESP3. */
  readonly protocol: 2 | 3;
  /**
   * Takes a complete message frame, in order with the subscriber's other replies. The same buffer goes to every
   * subscriber of one protocol; it is never written again.
   */
  deliver(frame: Buffer): void;
}

/**
 * The channel space of a RESP server: who is subscribed to which channel and which pattern, and PUBLISH's
 * fan-out. A message is encoded once per protocol (and per matching pattern) and the same bytes are handed to
 * every subscriber, so a publish to 100 subscribers costs one encoding and 100 writes of one buffer.
 *
 * Under `singleReactor` and `pooledReactor` it is the process's; under `multiReactor` it lives with the
 * keyspace in the service process, so clients of every sub-reactor share one channel space.
 *
 * ## Example
 * ```ts
 * import { Channels } from './Channels.js';
 *
 * const channels = new Channels();
 * const reader = { protocol: 2 as const, deliver: (frame: Buffer) => console.log(JSON.stringify(frame.toString())) };
 * channels.subscribe(reader, 'news');
 * console.log(channels.publish('news', Buffer.from('hi'))); // "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n", then 1
 * ```
 */
export class Channels {
  private readonly channels = new Map<string, Set<ChannelSubscriber>>();
  private readonly patterns = new Map<string, Set<ChannelSubscriber>>();

  /** Channels with at least one subscriber. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Patterns with at least one subscriber (PUBSUB NUMPAT). */
  get patternCount(): number {
    return this.patterns.size;
  }

  /**
   * Subscribes to a channel.
   *
   * @param subscriber who receives its messages
   * @param channel the channel (latin1)
   */
  subscribe(subscriber: ChannelSubscriber, channel: string): void {
    add(this.channels, channel, subscriber);
  }

  /**
   * Unsubscribes from a channel.
   *
   * @param subscriber who received its messages
   * @param channel the channel
   */
  unsubscribe(subscriber: ChannelSubscriber, channel: string): void {
    remove(this.channels, channel, subscriber);
  }

  /**
   * Subscribes to every channel matching a glob pattern (Redis's `stringmatchlen`, case-sensitive).
   *
   * @param subscriber who receives the messages
   * @param pattern the pattern
   */
  psubscribe(subscriber: ChannelSubscriber, pattern: string): void {
    add(this.patterns, pattern, subscriber);
  }

  /**
   * Unsubscribes from a pattern.
   *
   * @param subscriber who received its messages
   * @param pattern the pattern
   */
  punsubscribe(subscriber: ChannelSubscriber, pattern: string): void {
    remove(this.patterns, pattern, subscriber);
  }

  /**
   * The channels with subscribers, optionally only those matching a pattern (PUBSUB CHANNELS).
   *
   * @param pattern a glob, or `undefined` for all
   */
  activeChannels(pattern?: string): string[] {
    const names: string[] = [];
    for (const name of this.channels.keys()) if (pattern === undefined || globMatch(pattern, name, false)) names.push(name);
    return names;
  }

  /**
   * How many subscribe to `channel` itself (PUBSUB NUMSUB).
   *
   * @param channel the channel
   */
  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  /**
   * Delivers `message` to the subscribers of `channel` and of every pattern matching it.
   *
   * @param channel the channel (latin1)
   * @param message the payload
   * @returns how many deliveries were made (a client subscribed to the channel and a matching pattern counts
   *   twice), as PUBLISH replies
   */
  publish(channel: string, message: Uint8Array): number {
    let receivers = 0;
    const direct = this.channels.get(channel);
    if (direct !== undefined) {
      const frames: (Buffer | undefined)[] = [undefined, undefined];
      for (const subscriber of direct) {
        const p = subscriber.protocol - 2;
        subscriber.deliver((frames[p] ??= frame(subscriber.protocol, undefined, channel, message)));
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      for (const [pattern, subscribers] of this.patterns) {
        if (!globMatch(pattern, channel, false)) continue;
        const frames: (Buffer | undefined)[] = [undefined, undefined];
        for (const subscriber of subscribers) {
          const p = subscriber.protocol - 2;
          subscriber.deliver((frames[p] ??= frame(subscriber.protocol, pattern, channel, message)));
          receivers++;
        }
      }
    }
    return receivers;
  }
}

function add(index: Map<string, Set<ChannelSubscriber>>, name: string, subscriber: ChannelSubscriber): void {
  let set = index.get(name);
  if (set === undefined) index.set(name, (set = new Set()));
  set.add(subscriber);
}

function remove(index: Map<string, Set<ChannelSubscriber>>, name: string, subscriber: ChannelSubscriber): void {
  const set = index.get(name);
  if (set === undefined) return;
  set.delete(subscriber);
  if (set.size === 0) index.delete(name);
}

/** `message channel payload`, or `pmessage pattern channel payload`, as a push (RESP3) or an array (RESP2). */
function frame(protocol: 2 | 3, pattern: string | undefined, channel: string, message: Uint8Array): Buffer {
  const kind = pattern === undefined ? 'message' : 'pmessage';
  const parts: (string | Uint8Array)[] = pattern === undefined ? [kind, channel, message] : [kind, pattern, channel, message];
  let size = 4;
  for (const part of parts) size += 16 + part.length;
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  out[p++] = protocol === 3 ? 0x3e : 0x2a;
  out[p++] = 0x30 + parts.length;
  out[p++] = 0x0d;
  out[p++] = 0x0a;
  for (const part of parts) {
    out[p++] = 0x24;
    p = writeInteger(out, p, part.length);
    out[p++] = 0x0d;
    out[p++] = 0x0a;
    if (typeof part === 'string') p += out.write(part, p, 'latin1');
    else {
      out.set(part, p);
      p += part.length;
    }
    out[p++] = 0x0d;
    out[p++] = 0x0a;
  }
  return out.subarray(0, p);
}
