import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyspace, NO_EXPIRY } from '../../../examples/resp/Keyspace.js';

function clocked(): { keyspace: Keyspace; tick: (ms: number) => void } {
  let now = 1_000;
  return { keyspace: new Keyspace({ now: () => now }), tick: (ms) => (now += ms) };
}

const value = (text: string): string => text;

test('set, get, has, delete', () => {
  const keyspace = new Keyspace();
  assert.is(keyspace.get('k'), undefined);
  keyspace.set('k', value('v'));
  assert.is(keyspace.get('k'), 'v');
  assert.ok(keyspace.has('k'));
  assert.is(keyspace.size, 1);
  assert.ok(keyspace.delete('k'));
  assert.not.ok(keyspace.delete('k'));
  assert.is(keyspace.size, 0);
  assert.is(keyspace.now, Date.now);
});

test('a key expires once the clock is strictly past its time (lazy expiry)', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('k', value('v'), 1_500);
  assert.is(keyspace.expiringSize, 1);
  tick(500);
  assert.is(keyspace.get('k'), 'v');
  tick(1);
  assert.is(keyspace.size, 1); // not yet reclaimed
  assert.is(keyspace.expiresAt('k'), undefined);
  assert.is(keyspace.size, 0);
  assert.is(keyspace.expiringSize, 0);
});

test('an expired key neither exists nor counts as deleted', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('k', value('v'), 1_001);
  tick(2);
  assert.not.ok(keyspace.has('k'));
  keyspace.set('j', value('v'), 1_004);
  tick(2);
  assert.ok(keyspace.has('j'));
  tick(1);
  assert.not.ok(keyspace.delete('j'));
  assert.not.ok(keyspace.expire('j', 9_999));
});

test('set replaces value and TTL; expire sets and removes TTLs', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('k', value('a'), 2_000);
  keyspace.set('k', value('b'));
  assert.is(keyspace.expiresAt('k'), NO_EXPIRY);
  assert.is(keyspace.expiringSize, 0);
  assert.ok(keyspace.expire('k', 1_100));
  assert.ok(keyspace.expire('k', 1_200));
  assert.is(keyspace.expiringSize, 1);
  assert.ok(keyspace.expire('k', NO_EXPIRY));
  assert.is(keyspace.expiringSize, 0);
  assert.not.ok(keyspace.expire('missing', 5_000));
  keyspace.set('t', value('x'), 1_010);
  keyspace.set('t', value('y'), 1_020);
  assert.is(keyspace.expiringSize, 1);
  tick(15);
  assert.is(keyspace.get('t'), 'y');
  assert.ok(keyspace.delete('t'));
  assert.is(keyspace.expiringSize, 0);
});

test('replace keeps the TTL; Buffers and strings are both values', () => {
  const { keyspace } = clocked();
  keyspace.set('n', value('1'), 5_000);
  keyspace.replace('n', value('2'));
  assert.is(keyspace.get('n'), '2');
  assert.is(keyspace.expiresAt('n'), 5_000);
  keyspace.replace('n', Buffer.from('long'));
  assert.equal(keyspace.get('n'), Buffer.from('long'));
  assert.is(keyspace.expiresAt('n'), 5_000);
  keyspace.set('p', value('x'));
  keyspace.replace('p', value('y'));
  assert.is(keyspace.expiresAt('p'), NO_EXPIRY);
});

test('a keyspace past one Map spreads its keys over many and keeps every one (2^24 keys need no Map of 2^24)', () => {
  const { keyspace, tick } = clocked();
  const spread = new Keyspace({ now: keyspace.now, spreadAt: 1000 });
  for (let i = 0; i < 5000; i++) spread.set(`key:${i}`, `v${i}`, i % 2 === 0 ? 2_000 : NO_EXPIRY);
  assert.is(spread.size, 5000);
  assert.is(spread.expiringSize, 2500);
  for (let i = 0; i < 5000; i++) assert.is(spread.get(`key:${i}`), `v${i}`);
  const seen = new Set<string>();
  let cursor = 0;
  do cursor = spread.scan(cursor, 97, (key) => seen.add(key));
  while (cursor !== 0);
  assert.is(seen.size, 5000);
  tick(2_000);
  let removed = 0;
  for (let i = 0; i < 100; i++) removed += spread.activeExpire(64);
  assert.is(removed, 2500);
  assert.is(spread.size, 2500);
});

test('SCAN returns every key present throughout, across changes and a spread; unknown cursors start over', () => {
  const keyspace = new Keyspace({ spreadAt: 500 });
  for (let i = 0; i < 400; i++) keyspace.set(`stay:${i}`, 'v');
  const seen = new Set<string>();
  let cursor = keyspace.scan(0, 50, (key) => seen.add(key));
  let added = 0;
  while (cursor !== 0) {
    // Writes between steps, enough to spread the map half-way through.
    for (let j = 0; j < 40; j++) keyspace.set(`new:${added++}`, 'v');
    keyspace.delete(`new:${added - 3}`);
    cursor = keyspace.scan(cursor, 50, (key) => seen.add(key));
  }
  for (let i = 0; i < 400; i++) assert.ok(seen.has(`stay:${i}`), `stay:${i}`);
  const restarted = new Set<string>();
  keyspace.scan(123456, 10, (key) => restarted.add(key));
  assert.is(restarted.size, 10);
  let keys = 0;
  keyspace.keys(() => keys++);
  assert.is(keys, keyspace.size);
});

test('watchers hear of every write, delete, expiry and flush of their key', () => {
  const { keyspace, tick } = clocked();
  let touched = 0;
  const watcher = { keyTouched: () => touched++ };
  keyspace.watch('w', watcher);
  keyspace.set('other', 'x');
  assert.is(touched, 0);
  keyspace.set('w', 'x', 1_010);
  keyspace.replace('w', 'y');
  assert.is(touched, 2);
  tick(20);
  assert.is(keyspace.get('w'), undefined);
  assert.is(touched, 3);
  keyspace.set('w', 'z');
  assert.ok(keyspace.delete('w'));
  keyspace.clear();
  assert.is(touched, 6);
  keyspace.unwatch('w', watcher);
  keyspace.set('w', 'again');
  assert.is(touched, 6);
});

test('active expiry reclaims untouched keys a budget at a time, resuming where it stopped', () => {
  const { keyspace, tick } = clocked();
  assert.is(keyspace.activeExpire(), 0);
  for (let i = 0; i < 50; i++) keyspace.set(`short${i}`, value('v'), 1_100);
  for (let i = 0; i < 50; i++) keyspace.set(`long${i}`, value('v'), 9_000);
  for (let i = 0; i < 10; i++) keyspace.set(`forever${i}`, value('v'));
  tick(200);
  assert.is(keyspace.activeExpire(20), 20);
  assert.is(keyspace.activeExpire(20), 20);
  assert.is(keyspace.activeExpire(20), 10); // the last 10 short keys, then 10 long ones that live on
  assert.is(keyspace.size, 60);
  assert.is(keyspace.activeExpire(100), 0);
  tick(10_000);
  assert.is(keyspace.activeExpire(1000), 50);
  assert.is(keyspace.size, 10);
  assert.is(keyspace.expiringSize, 0);
  assert.is(keyspace.activeExpire(), 0);
});

test('active expiry keeps going around as keys are added', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('a', value('v'), 1_001);
  keyspace.set('b', value('v'), 1_001);
  assert.is(keyspace.activeExpire(1), 0);
  keyspace.set('c', value('v'), 1_001);
  tick(5);
  assert.is(keyspace.activeExpire(10), 3);
  assert.is(keyspace.size, 0);
});

test('clear removes everything and resets active expiry', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('a', value('v'), 1_001);
  keyspace.set('b', value('v'));
  assert.is(keyspace.activeExpire(1), 0);
  keyspace.clear();
  assert.is(keyspace.size, 0);
  keyspace.set('c', value('v'), 1_001);
  tick(5);
  assert.is(keyspace.activeExpire(5), 1);
});

test.run();
