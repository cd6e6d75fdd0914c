// A ring that was closed is garbage like any other object: once its libuv handles are gone the addon lets go of
// the completion callback, so the ring, its JavaScript side and its tables can be collected. (A backend with a
// ring of its own, `uringBackend({ ring })`, made and closed per test or per tenant, would otherwise keep each
// one until the process ends; memcheck saw the addon's references of such a ring lost at exit.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UringLoop } from '../../../src/backends/uring/UringLoop.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Makes a small ring of its own and closes it at once; only weak references to it leave this function. */
function closedRing(): WeakRef<object>[] {
  const loop = new UringLoop(64, 4, 1024);
  const refs = [new WeakRef<object>(loop), new WeakRef<object>(loop.ring)];
  loop.close();
  return refs;
}

test('a closed ring and its JavaScript side are collected once its handles are closed', async () => {
  const refs = [...closedRing(), ...closedRing(), ...closedRing()];
  // Bounded: 50 turns of the loop (the handles close on the next one), a full collection after each.
  for (let turn = 0; turn < 50 && refs.some((ref) => ref.deref() !== undefined); turn++) {
    await sleep(10);
    gc();
  }
  const alive = refs.filter((ref) => ref.deref() !== undefined).length;
  assert.is(alive, 0, `${alive} of ${refs.length} objects of 3 closed rings are still alive after 50 collections`);
});

test.run();
