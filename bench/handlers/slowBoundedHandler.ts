import { ignoreElements, map, timer } from 'rxjs';
import type { Connection } from '../../src/Connection.js';
import { boundedConcatMap } from '../../operators/boundedConcatMap.js';

/**
 * A deliberately slow consumer with demand: each chunk takes a 1 ms timer, and `boundedConcatMap` holds the
 * socket while more than 64 KiB wait, so a flooding client is slowed by TCP instead of growing our memory.
 *
 * @internal
 * @param connection the connection to serve
 * @returns the pipeline
 */
export default function slowBoundedHandler(connection: Connection) {
  return connection.data$.pipe(
    boundedConcatMap(connection, (chunk: Buffer) => timer(1).pipe(map(() => chunk.length))),
    ignoreElements(),
  );
}
