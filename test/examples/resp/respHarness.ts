import type { Keyspace } from '../../../examples/resp/Keyspace.js';
import { RespSession, type RespSessionOptions } from '../../../examples/resp/RespSession.js';
import { ServerState } from '../../../examples/resp/ServerState.js';

/** Encodes a command as a RESP multibulk array of bulk strings (latin1). */
export function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

/** A session on a server state (16 databases) with a fake clock, speaking latin1 strings. */
export class Harness {
  now = 1_700_000_000_000;
  readonly state = new ServerState({ now: () => this.now });
  /** Database 0. */
  readonly keyspace: Keyspace = this.state.databases[0]!;
  readonly session: RespSession;

  constructor(options: RespSessionOptions = {}) {
    this.session = new RespSession(this.state, options);
  }

  /** Another connection to the same server. */
  other(options: RespSessionOptions = {}): Harness {
    const other = Object.create(Harness.prototype) as Harness;
    Object.assign(other, { state: this.state, keyspace: this.keyspace, session: new RespSession(this.state, options) });
    Object.defineProperty(other, 'now', { get: () => this.now, set: (value: number) => (this.now = value) });
    return other;
  }

  /** Sends the bytes as one read and returns the reply bytes. */
  send(input: string): string {
    return this.session.handle(Buffer.from(input, 'latin1')).toString('latin1');
  }

  /** Sends one command (multibulk) and returns its reply. */
  call(...args: string[]): string {
    return this.send(resp(...args));
  }
}
