import { concatMap, ignoreElements, map, timer } from 'rxjs';
import type { Connection } from '../../src/Connection.js';

/**
 * The same slow consumer with RxJS's plain `concatMap`, which has no demand: every chunk the client sends is
 * queued. The reference that shows what the bounded handler saves.
 *
 * @internal
 * @param connection the connection to serve
 * @returns the pipeline
 */
export default function slowUnboundedHandler(connection: Connection) {
  return connection.data$.pipe(
    concatMap((chunk: Buffer) => timer(1).pipe(map(() => chunk.length))),
    ignoreElements(),
  );
}
