import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { fencedBlocks } from './fencedBlocks.js';
import { markdownFiles } from './docExamples.js';

// dist/test/docs/mermaid.test.js -> the repository root
const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

interface MermaidApi {
  initialize(config: { startOnLoad: boolean }): void;
  parse(text: string): Promise<{ diagramType: string }>;
}

/** Mermaid's own parser (the grammar a code host renders with), in a jsdom window. */
async function loadMermaid(): Promise<MermaidApi> {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  const globals = globalThis as unknown as Record<string, unknown>;
  globals['window'] ??= dom.window;
  globals['document'] ??= dom.window.document;
  const { default: mermaid } = (await import('mermaid')) as unknown as { default: MermaidApi };
  mermaid.initialize({ startOnLoad: false });
  return mermaid;
}

test('every Mermaid diagram in the README and docs/ parses with Mermaid itself', async () => {
  const mermaid = await loadMermaid();
  const problems: string[] = [];
  let diagrams = 0;
  for (const file of markdownFiles(root)) {
    for (const block of fencedBlocks(readFileSync(join(root, file), 'utf8').split(/\r?\n/))) {
      if (block.lang !== 'mermaid') continue;
      diagrams++;
      await mermaid.parse(block.code.join('\n')).catch((error: Error) => {
        problems.push(`${file}:${block.line} ${error.message.split('\n').slice(0, 3).join(' ')}`);
      });
    }
  }
  assert.ok(diagrams >= 5, `expected the guides' diagrams, found ${diagrams}`);
  assert.equal(problems, []);
});

test('the parser really rejects a broken diagram (so the check above can fail)', async () => {
  const mermaid = await loadMermaid();
  const error = await mermaid.parse('flowchart LR\n  A[label (with parens)] --> B').then(() => undefined, (e: Error) => e);
  assert.ok(error instanceof Error);
});

test.run();
