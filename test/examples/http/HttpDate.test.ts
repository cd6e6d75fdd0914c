import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpDate } from '../../../examples/http/HttpDate.js';

function harness(start: number): { date: HttpDate; reads: () => number; set: (ms: number) => void; fire: () => void; delays: number[] } {
  let now = start;
  let reads = 0;
  const pending: Array<() => void> = [];
  const delays: number[] = [];
  const date = new HttpDate(
    () => {
      reads++;
      return now;
    },
    (callback, ms) => {
      pending.push(callback);
      delays.push(ms);
    },
  );
  return {
    date,
    reads: () => reads,
    set: (ms) => {
      now = ms;
    },
    fire: () => pending.splice(0).forEach((callback) => callback()),
    delays,
  };
}

test('formats IMF-fixdate, 29 characters, in value and bytes', () => {
  const { date } = harness(Date.UTC(2024, 0, 2, 3, 4, 5, 999));
  assert.is(date.value, 'Tue, 02 Jan 2024 03:04:05 GMT');
  assert.is(date.bytes.toString('latin1'), 'Tue, 02 Jan 2024 03:04:05 GMT');
  assert.is(date.value.length, 29);
});

test('reads the clock only after the timer marked the value stale, and arms it for the next second', () => {
  const h = harness(Date.UTC(2024, 0, 2, 3, 4, 5, 250));
  assert.is(h.reads(), 1);
  assert.equal(h.delays, [750]);
  const version = h.date.version;
  h.set(Date.UTC(2024, 0, 2, 3, 4, 6, 0));
  h.date.refresh();
  h.date.refresh();
  assert.is(h.reads(), 1, 'no clock read while fresh');
  assert.is(h.date.value, 'Tue, 02 Jan 2024 03:04:05 GMT');
  h.fire();
  h.date.refresh();
  assert.is(h.reads(), 2);
  assert.is(h.date.value, 'Tue, 02 Jan 2024 03:04:06 GMT');
  assert.is(h.date.bytes.toString('latin1'), 'Tue, 02 Jan 2024 03:04:06 GMT');
  assert.ok(h.date.version !== version);
  assert.equal(h.delays, [750, 1000]);
});

test('a timer firing early keeps the value and re-arms for the rest of the second', () => {
  const h = harness(Date.UTC(2024, 0, 2, 3, 4, 5, 0));
  const version = h.date.version;
  h.set(Date.UTC(2024, 0, 2, 3, 4, 5, 990));
  h.fire();
  h.date.refresh();
  assert.is(h.date.version, version);
  assert.equal(h.delays, [1000, 10]);
});

test('versions are unique across instances', () => {
  const a = harness(0).date;
  const b = harness(0).date;
  assert.ok(a.version !== b.version);
});

test('the default timer does not keep the process alive', () => {
  const date = new HttpDate();
  assert.is(date.value.length, 29);
});

test.run();
