import { HttpDate } from '../../../examples/http/HttpDate.js';

/** The Date value every response carries in these tests. */
export const DATE = 'Tue, 02 Jan 2024 03:04:05 GMT';

/**
 * An HttpDate stuck at {@link DATE}: a fixed clock and a timer that never fires.
 *
 * @returns the date source
 */
export function fixedDate(): HttpDate {
  return new HttpDate(
    () => Date.UTC(2024, 0, 2, 3, 4, 5, 678),
    () => undefined,
  );
}
