import type { DigestWork } from './digestTask.js';

/**
 * What a RESP engine emits for one connection, in reply order: reply bytes ready to write, or a DIGEST whose
 * reply is the hash of its work, computed by the next stage (`digestReplies`) wherever the topology runs
 * offloaded tasks. A connection's outputs go out in exactly this order.
 *
 * ## Example
 * ```ts
 * import type { RespOutput } from './RespOutput.js';
 *
 * const describe = (output: RespOutput) => (Buffer.isBuffer(output) ? `${output.length} bytes` : `digest x${output.rounds}`);
 * ```
 */
export type RespOutput = Buffer | DigestWork;
