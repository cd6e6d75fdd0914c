import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Keyspace, NO_EXPIRY } from '../../../examples/resp/Keyspace.js';

function clocked(): { keyspace: Keyspace; tick: (ms: number) => void } {
  let now = 1_000;
  return { keyspace: new Keyspace({ now: () => now }), tick: (ms) => (now += ms) };
}

const value = (text: string): Buffer => Buffer.from(text);

test('set, get, has, delete', () => {
  const keyspace = new Keyspace();
  assert.is(keyspace.get('k'), undefined);
  keyspace.set('k', value('v'));
  assert.is(keyspace.get('k')?.toString(), 'v');
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
  assert.is(keyspace.get('k')?.toString(), 'v');
  tick(1);
  assert.is(keyspace.size, 1); // not yet reclaimed
  assert.is(keyspace.entry('k'), undefined);
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
  assert.is(keyspace.entry('k')?.expiresAt, NO_EXPIRY);
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
  assert.is(keyspace.get('t')?.toString(), 'y');
  assert.ok(keyspace.delete('t'));
  assert.is(keyspace.expiringSize, 0);
});

test('replacing an entry value in place keeps its TTL', () => {
  const { keyspace } = clocked();
  keyspace.set('n', value('1'), 5_000);
  keyspace.entry('n')!.value = value('2');
  assert.is(keyspace.get('n')?.toString(), '2');
  assert.is(keyspace.entry('n')?.expiresAt, 5_000);
});

test('active expiry reclaims untouched keys a budget at a time, resuming where it stopped', () => {
  const { keyspace, tick } = clocked();
  assert.is(keyspace.activeExpireStep(), 0);
  for (let i = 0; i < 50; i++) keyspace.set(`short${i}`, value('v'), 1_100);
  for (let i = 0; i < 50; i++) keyspace.set(`long${i}`, value('v'), 9_000);
  for (let i = 0; i < 10; i++) keyspace.set(`forever${i}`, value('v'));
  tick(200);
  assert.is(keyspace.activeExpireStep(20), 20);
  assert.is(keyspace.activeExpireStep(20), 20);
  assert.is(keyspace.activeExpireStep(20), 10); // the last 10 short keys, then 10 long ones that live on
  assert.is(keyspace.size, 60);
  assert.is(keyspace.activeExpireStep(100), 0);
  tick(10_000);
  assert.is(keyspace.activeExpireStep(1000), 50);
  assert.is(keyspace.size, 10);
  assert.is(keyspace.expiringSize, 0);
  assert.is(keyspace.activeExpireStep(), 0);
});

test('active expiry keeps going around as keys are added', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('a', value('v'), 1_001);
  keyspace.set('b', value('v'), 1_001);
  assert.is(keyspace.activeExpireStep(1), 0);
  keyspace.set('c', value('v'), 1_001);
  tick(5);
  assert.is(keyspace.activeExpireStep(10), 3);
  assert.is(keyspace.size, 0);
});

test('clear removes everything and resets active expiry', () => {
  const { keyspace, tick } = clocked();
  keyspace.set('a', value('v'), 1_001);
  keyspace.set('b', value('v'));
  assert.is(keyspace.activeExpireStep(1), 0);
  keyspace.clear();
  assert.is(keyspace.size, 0);
  keyspace.set('c', value('v'), 1_001);
  tick(5);
  assert.is(keyspace.activeExpireStep(5), 1);
});

test.run();
