import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HttpRequestParser } from '../../../examples/http/HttpRequestParser.js';

function request(text: string): ReturnType<HttpRequestParser['next']> {
  const parser = new HttpRequestParser();
  parser.push(Buffer.from(text, 'latin1'));
  return parser.next();
}

test('path, target and query', () => {
  const a = request('GET /p/q?a=1?b HTTP/1.1\r\nHost: x\r\n\r\n')!;
  assert.is(a.path, '/p/q');
  assert.is(a.path, '/p/q');
  assert.is(a.target, '/p/q?a=1?b');
  assert.is(a.query, 'a=1?b');
  const b = request('OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n')!;
  assert.is(b.path, '*');
  assert.is(b.query, '');
  const absolute: Array<[string, string]> = [
    ['http://example.com/x/y?z', '/x/y'],
    ['http://example.com', '/'],
    ['https://example.com?q', '/'],
    ['example.com:443', 'example.com:443'],
    ['a/b://c', 'a/b://c'],
    ['http:/x', 'http:/x'],
    ['http:', 'http:'],
  ];
  for (const [target, path] of absolute) {
    const r = request(`GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)!;
    assert.is(r.path, path, target);
    assert.is(r.target, target);
  }
});

test('the path cache tells apart paths of equal length', () => {
  const parser = new HttpRequestParser();
  const seen: string[] = [];
  for (const path of ['/ab', '/ab', '/ac', '/ab', '/a', '/']) {
    parser.push(Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    seen.push(parser.next()!.path);
    assert.is(parser.next(), null);
  }
  assert.equal(seen, ['/ab', '/ab', '/ac', '/ab', '/a', '/']);
});

test('header names keep their case; values are trimmed; lookup ignores case', () => {
  const r = request('GET / HTTP/1.1\r\nHost: x\r\nX-MiXed:   v  \r\nx-mixed: second\r\n\r\n')!;
  assert.is(r.headerCount, 3);
  assert.is(r.headerName(1), 'X-MiXed');
  assert.is(r.headerValue(1), 'v');
  assert.is(r.header('x-MIXED'), 'v');
  assert.is(r.header('x-mixe'), undefined);
  assert.is(r.header('x-mixedd'), undefined);
});

test.run();
