import type { DigestWork } from './digestTask.js';

/**
 * The engine has paused the connection's batch (its output budget is spent, or DIGESTs are pending): call
 * `proceed` once, when the connection can take more output, and the engine runs the rest of what it has read.
 *
 * ## Example
 * ```ts
 * import type { RespHeld } from './RespOutput.js';
 *
 * const held: RespHeld = { proceed: () => console.log('more, please') };
 * held.proceed();
 * ```
 */
export interface RespHeld {
  readonly proceed: () => void;
}

/**
 * What a RESP engine emits for one connection, in reply order: reply bytes ready to write, a DIGEST whose
 * reply is the hash of its work, computed by the next stage (`digestReplies`) wherever the topology runs
 * offloaded tasks, or a {@link RespHeld} that waits for that stage's go-ahead. A connection's outputs go out in
 * exactly this order.
 *
 * ## Example
 * ```ts
 * import type { RespOutput } from './RespOutput.js';
 *
 * const describe = (output: RespOutput) =>
 *   Buffer.isBuffer(output) ? `${output.length} bytes` : 'proceed' in output ? 'held' : `digest x${output.rounds}`;
 * ```
 */
export type RespOutput = Buffer | DigestWork | RespHeld;
