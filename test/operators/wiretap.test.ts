import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { of, throwError, lastValueFrom, toArray, Subject } from 'rxjs';
import { wiretap, hexDump } from '../../operators/wiretap.js';

test('off by default: returns the source itself', () => {
  delete process.env['RXLOOP_WIRETAP'];
  const source = of(Buffer.from('x'));
  assert.is(source.pipe(wiretap('in')), source);
});

test('enabled: dumps each chunk as hex and passes it on', async () => {
  const lines: string[] = [];
  const out = await lastValueFrom(
    of(Buffer.from('hello\r\n'), [Buffer.from('a'), 'b']).pipe(wiretap('in', { enabled: true, log: (l) => lines.push(l) }), toArray()),
  );
  assert.is(out.length, 2);
  assert.match(lines[0]!, /^in 7 bytes\n00000000  68 65 6c 6c 6f 0d 0a {2,}\|hello\.\.\|$/);
  assert.match(lines[1]!, /^in 1 bytes/);
  assert.match(lines[3]!, /^in end$/);
});

test('enabled through RXLOOP_WIRETAP by label', () => {
  process.env['RXLOOP_WIRETAP'] = 'other,in';
  const source = of(Buffer.from('x'));
  assert.is.not(source.pipe(wiretap('in', { log: () => undefined })), source);
  assert.is(source.pipe(wiretap('out')), source);
  delete process.env['RXLOOP_WIRETAP'];
});

test('errors are logged and passed on; a throwing log errors the stream', async () => {
  const lines: string[] = [];
  const error = await lastValueFrom(
    throwError(() => Object.assign(new Error('x'), { code: 'ERR_X' })).pipe(wiretap('in', { enabled: true, log: (l) => lines.push(l) })),
  ).catch((e: Error) => e);
  assert.is((error as { code?: string }).code, 'ERR_X');
  assert.equal(lines, ['in error ERR_X']);
  const thrown = await lastValueFrom(of(Buffer.from('x')).pipe(wiretap('in', { enabled: true, log: () => { throw new Error('log failed'); } }))).catch((e: Error) => e.message);
  assert.is(thrown, 'log failed');
});

test('long chunks are cut at maxBytes; unsubscribe reaches the source', () => {
  const dump = hexDump('x', Buffer.alloc(100), 32);
  assert.is(dump.split('\n').length, 4);
  assert.match(dump, /68 more bytes/);
  const source = new Subject<Buffer>();
  const subscription = source.pipe(wiretap('in', { enabled: true, log: () => undefined })).subscribe();
  assert.is(source.observed, true);
  subscription.unsubscribe();
  assert.is(source.observed, false);
});

test.run();
