import type { Connection } from '../../src/Connection.js';
import { sendTo } from '../../operators/sendTo.js';

/**
 * The bench's echo handler (served with `serve`): what an idle connection costs in a served rxloop pipeline.
 *
 * @internal
 * @param connection the connection to serve
 * @returns the pipeline
 */
export default function echoHandler(connection: Connection) {
  return connection.data$.pipe(sendTo(connection));
}
