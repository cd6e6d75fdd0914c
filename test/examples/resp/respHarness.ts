import { Keyspace } from '../../../examples/resp/Keyspace.js';
import { RespSession, type RespSessionOptions } from '../../../examples/resp/RespSession.js';

/** Encodes a command as a RESP multibulk array of bulk strings (latin1). */
export function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

/** A session on a keyspace with a fake clock, speaking latin1 strings. */
export class Harness {
  now = 1_700_000_000_000;
  readonly keyspace = new Keyspace({ now: () => this.now });
  readonly session: RespSession;

  constructor(options: RespSessionOptions = {}) {
    this.session = new RespSession(this.keyspace, options);
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
