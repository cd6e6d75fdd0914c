import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, RxloopError } from '../../../src/errors.js';
import { CommandTable } from '../../../examples/resp/CommandTable.js';
import { commands } from '../../../examples/resp/commands.js';
import type { RespCommand } from '../../../examples/resp/RespCommand.js';

const table = new CommandTable(commands);
const named = (name: string): RespCommand => ({ name, arity: 1, run: () => undefined });

test('every command is found by its name in any letter case', () => {
  for (const command of commands) {
    assert.is(table.lookup(Buffer.from(command.name)), command);
    assert.is(table.lookup(Buffer.from(command.name.toUpperCase())), command);
    const mixed = [...command.name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
    assert.is(table.lookup(Buffer.from(mixed)), command);
  }
  assert.is(table.size, commands.length);
  assert.is(table.list, commands);
});

test('near misses are not found', () => {
  const misses = ['', 'ge', 'gett', 'gex', 'g\xc5t', 'G\x05T', 'GE\x14', 'flushdb\0', 'verylongname', '\0', '@et'];
  for (const name of misses) {
    assert.is(table.lookup(Buffer.from(name, 'latin1')), undefined, JSON.stringify(name));
  }
});

test('commands sharing a bucket are told apart', () => {
  const shared = new CommandTable([named('get'), named('gex'), named('set')]);
  assert.is(shared.lookup(Buffer.from('GEX'))?.name, 'gex');
  assert.is(shared.lookup(Buffer.from('Get'))?.name, 'get');
  assert.is(shared.lookup(Buffer.from('get'))?.name, 'get');
  assert.is(shared.lookup(Buffer.from('gez')), undefined);
});

test('bad or repeated names are refused', () => {
  for (const list of [[named('Get')], [named('config|get')], [named('')], [named('get'), named('get')]]) {
    try {
      new CommandTable(list);
      assert.unreachable(list.map((c) => c.name).join());
    } catch (error) {
      assert.instance(error, RxloopError);
      assert.is((error as RxloopError).code, ErrorCode.INVALID_ARGUMENT);
    }
  }
});

test.run();
