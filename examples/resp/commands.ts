import { keyCommands } from './keyCommands.js';
import { pubsubCommands } from './pubsubCommands.js';
import type { RespCommand } from './RespCommand.js';
import { serverCommands } from './serverCommands.js';
import { stringCommands } from './stringCommands.js';
import { transactionCommands } from './transactionCommands.js';

/**
 * Every command the RESP example server knows, for a {@link CommandTable}.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { commands } from './commands.js';
 *
 * const table = new CommandTable(commands);
 * console.log(table.size); // 46
 * ```
 */
export const commands: readonly RespCommand[] = [
  ...stringCommands,
  ...keyCommands,
  ...serverCommands,
  ...transactionCommands,
  ...pubsubCommands,
];
