import { keyCommands } from './keyCommands.js';
import type { RespCommand } from './RespCommand.js';
import { serverCommands } from './serverCommands.js';
import { stringCommands } from './stringCommands.js';

/**
 * Every command the RESP example server knows, for a {@link CommandTable}.
 *
 * ## Example
 * ```ts
 * import { CommandTable } from './CommandTable.js';
 * import { commands } from './commands.js';
 *
 * const table = new CommandTable(commands);
 * console.log(table.size); // 25
 * ```
 */
export const commands: readonly RespCommand[] = [...stringCommands, ...keyCommands, ...serverCommands];
