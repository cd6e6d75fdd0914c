import type { Observer } from 'rxjs';

/**
 * A subscriber list that holds one subscriber without an array (the common case) and more in one. Lists are
 * copied on change, never changed in place, so a delivery iterates the list it read without copying it first.
 *
 * @internal
 */
export type Subscribers<T> = Observer<T> | Observer<T>[] | undefined;

/** The list with `subscriber` added at the end. @internal */
export function addSubscriber<T>(list: Subscribers<T>, subscriber: Observer<T>): Subscribers<T> {
  if (list === undefined) return subscriber;
  return Array.isArray(list) ? [...list, subscriber] : [list, subscriber];
}

/** The list without `subscriber` (the same list when it is not in it). @internal */
export function removeSubscriber<T>(list: Subscribers<T>, subscriber: object): Subscribers<T> {
  if (list === subscriber) return undefined;
  if (!Array.isArray(list)) return list;
  const index = list.indexOf(subscriber as Observer<T>);
  if (index === -1) return list;
  const rest = list.slice();
  rest.splice(index, 1);
  return rest.length === 1 ? rest[0] : rest;
}

/** The subscribers of a list as an array the caller may keep (the caller empties the list itself). @internal */
export function takeSubscribers<T>(list: Subscribers<T>): readonly Observer<T>[] {
  if (list === undefined) return NONE;
  return Array.isArray(list) ? list : [list];
}

/** Calls `next(value)` on every subscriber of the list. @internal */
export function nextAll<T>(list: Subscribers<T>, value: T): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) list.next(value);
  else for (const subscriber of list) subscriber.next(value);
}

const NONE: readonly never[] = [];
