import { ErrorCode, RxloopError } from '../../src/errors.js';
import type { RespCommand } from './RespCommand.js';

/**
 * Finds commands by the bytes of their name, in any letter case, without building a lowercase string per
 * command: the name's length and first letter pick a bucket of one or two candidates, whose names are then
 * compared byte by byte with `byte | 0x20`.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { commands } from './commands.js';
 *
 * const table = new CommandTable(commands);
 * console.log(table.lookup(Buffer.from('gEt'))?.name); // 'get'
 * console.log(table.lookup(Buffer.from('nope'))); // undefined
 * ```
 */
export class CommandTable {
  /** Every command, in the order given. */
  readonly list: readonly RespCommand[];
  private readonly buckets: (RespCommand[] | undefined)[] = [];
  private readonly maxLength: number;

  /**
   * @param commands the commands; names must be unique lowercase ASCII letters
   * @throws RxloopError `ERR_INVALID_ARGUMENT` for a bad or repeated name
   */
  constructor(commands: readonly RespCommand[]) {
    this.list = commands;
    let maxLength = 0;
    for (const command of commands) {
      const name = command.name;
      if (!/^[a-z]+$/.test(name)) {
        throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a command name of a-z only, got '${name}'`);
      }
      const index = slot(name.length, name.charCodeAt(0));
      const bucket = (this.buckets[index] ??= []);
      if (bucket.some((other) => other.name === name)) {
        throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected unique command names, got '${name}' twice`);
      }
      bucket.push(command);
      maxLength = Math.max(maxLength, name.length);
    }
    this.maxLength = maxLength;
  }

  /** Number of commands. */
  get size(): number {
    return this.list.length;
  }

  /**
   * The command named by `source[start, end)`, ignoring letter case.
   *
   * @param source the bytes holding the name
   * @param start the name's first byte
   * @param end one past its last byte
   * @returns the command, or `undefined` when there is none by that name
   */
  lookup(source: Uint8Array, start = 0, end = source.length): RespCommand | undefined {
    const length = end - start;
    if (length <= 0 || length > this.maxLength) return undefined;
    const bucket = this.buckets[slot(length, source[start]!)];
    if (bucket === undefined) return undefined;
    next: for (let c = 0; c < bucket.length; c++) {
      const command = bucket[c]!;
      const expected = command.name;
      for (let i = 0; i < length; i++) {
        if ((source[start + i]! | 0x20) !== expected.charCodeAt(i)) continue next;
      }
      return command;
    }
    return undefined;
  }
}

/** A letter's low five bits are the same in both cases; other bytes share buckets and fail the compare. */
function slot(length: number, firstByte: number): number {
  return length * 32 + (firstByte & 31);
}
