import type { Connection } from '../../src/Connection.js';
import { encodeLines } from '../../operators/encodeLines.js';
import { lines } from '../../operators/lines.js';
import { offload } from '../../operators/offload.js';
import { sendTo } from '../../operators/sendTo.js';

const task = new URL('./sha256Task.js#default', import.meta.url);

/**
 * The offload scenario's handler: one request per line, answered with the task's digest. The same module runs
 * on `singleReactor` (the task runs inline) and `pooledReactor` (on worker threads).
 *
 * @internal
 * @param connection the connection to serve
 * @returns the pipeline
 */
export default function offloadHandler(connection: Connection) {
  return connection.data$.pipe(
    lines(),
    offload<Buffer, string>(task, { concurrency: 8 }),
    encodeLines(),
    sendTo(connection),
  );
}
