import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { docExamples, markdownFiles, tsdocExamples, type DocExample } from './docExamples.js';
import { fencedBlocks } from './fencedBlocks.js';
import { mermaidProblems } from './mermaidProblems.js';
import { typeCheckExamples } from './typeCheckExamples.js';

// Every ```ts example in README.md, docs/*.md and the TSDoc of src/, operators/ and schedulers/ is compiled as its
// own module, as a user would paste it: `import ... from 'rxloop'` resolves through the package's own "exports"
// (NodeNext self-reference) to the built declarations in dist/ (npm test builds first), with the repository's
// strict compiler options. Examples may name files that do not
// exist (`serve('./echo.js')`): only types are checked. There is no allow-list: a broken example fails this test.

/** The repository root: the nearest folder up from here whose package.json names rxloop (works from dist/ too). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'rxloop') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('examples.test: no package.json named rxloop above this file');
    dir = parent;
  }
}

const root = repositoryRoot();
const examples = docExamples(root);

/** `file:line[:column] (block n, symbol)`, the way editors and terminals link to a place. */
function where(example: DocExample, line = example.line, column?: number): string {
  const symbol = example.symbol !== undefined ? `, ${example.symbol}` : '';
  return `${example.file}:${line}${column !== undefined ? `:${column}` : ''} (block ${example.block}${symbol})`;
}

test('finds the examples of the guides and of the TSDoc comments, at the right lines', () => {
  const files = new Set(examples.map((example) => example.file));
  for (const file of ['README.md', 'docs/operators.md', 'src/listen.ts', 'operators/sendTo.ts', 'schedulers/serve.ts']) {
    assert.ok(files.has(file), `expected ${file} to hold a \`\`\`ts example`);
  }
  assert.ok(examples.some((example) => example.file === 'src/listen.ts' && example.symbol === 'listen'));
  for (const example of examples) {
    const source = readFileSync(join(root, example.file), 'utf8').split(/\r?\n/);
    const first = source[example.line - 1] ?? '';
    assert.ok(first.endsWith(example.code[0] ?? ''), `${where(example)} does not start with its first code line`);
  }
});

test('reads TSDoc fences: strips the comment prefix, keeps indentation, names the member', () => {
  const text = [
    'export class Pump {',
    '  /**',
    '   * Starts.',
    '   *',
    '   * ## Example',
    '   * ```ts',
    "   * import { listen } from 'rxloop';",
    '   *',
    '   * if (true) {',
    '   *   listen({ port: 0 });',
    '   * }',
    '   * ```',
    '   */',
    '  start(): void {}',
    '}',
  ].join('\n');
  const [example, ...rest] = tsdocExamples('x.ts', text);
  assert.is(rest.length, 0);
  assert.equal(example, {
    file: 'x.ts',
    block: 1,
    line: 7,
    symbol: 'Pump.start',
    code: ["import { listen } from 'rxloop';", '', 'if (true) {', '  listen({ port: 0 });', '}'],
  });
});

test('every ```ts example type-checks (one tsc run, NodeNext, strict)', () => {
  // A deliberately broken example goes through the same run, so a checker that stopped reporting would fail here.
  const canary: DocExample = {
    file: 'test/docs/examples.test.ts (canary)',
    block: 1,
    line: 1000,
    code: ["import { listen } from 'rxloop';", '', "listen({ port: 'not a port' });"],
  };
  const { errors, unplaced } = typeCheckExamples(root, join(root, '.tmp', 'doc-examples'), [...examples, canary]);
  const caught = errors.filter((error) => error.example === canary);
  assert.ok(
    caught.length === 1 && caught[0]!.line === 1002 && caught[0]!.message.startsWith('TS2322'),
    `the canary's type error was not reported at its line: ${JSON.stringify(caught)} ${unplaced.join('\n')}`,
  );
  const report = [
    ...errors
      .filter((error) => error.example !== canary)
      .map((error) => `${where(error.example, error.line, error.column)} ${error.message}`),
    ...unplaced,
  ];
  assert.ok(report.length === 0, `${report.length} problem(s) in ${examples.length} examples:\n${report.join('\n')}`);
});

test('every fenced block in the guides is closed, and every Mermaid diagram parses (structural check)', () => {
  const report: string[] = [];
  let diagrams = 0;
  for (const file of markdownFiles(root)) {
    for (const block of fencedBlocks(readFileSync(join(root, file), 'utf8').split(/\r?\n/))) {
      if (block.unclosed) report.push(`${file}:${block.line - 1} the fence opened here is never closed`);
      if (block.lang !== 'mermaid') continue;
      diagrams++;
      for (const { index, problem } of mermaidProblems(block.code)) report.push(`${file}:${block.line + index} ${problem}`);
    }
  }
  assert.ok(diagrams > 0, 'expected at least one Mermaid diagram (docs/backpressure.md has one)');
  assert.ok(report.length === 0, report.join('\n'));
});

test('the Mermaid check rejects what Mermaid 11 rejects, and passes what it accepts', () => {
  const flowchart = (line: string) => mermaidProblems(['flowchart LR', `  ${line}`]).length === 0;
  // Each case was run through Mermaid 11.17's parser.
  const accepted = [
    'A[data$ / proactor] --> B{reading?}',
    'A["write() returned false"] --> B',
    'A -- write() --> B',
    'A -. queue over high-water mark: hold() .-> B',
    'A -- x [y] --> B',
    'A -->|"x (y)"| B',
    'A([stadium]) --> B[(cylinder)] --> C((circle)) --> D{{hexagon}} --> E[[sub]]',
    'A>flag] --> B',
    'A[x; y] --> B',
    'A[a: b] --> B',
  ];
  const rejected = [
    'A[write() returned false] --> B',
    'A -->|x (y)| B',
    'A(foo [bar])',
    'A{x (y)}',
    'A(x (y))',
    'A[x{y}]',
    'A[x"y]',
    'A[x --> B',
    'A --> B]',
    'A --> end',
  ];
  for (const line of accepted) assert.ok(flowchart(line), `expected to pass: ${line}`);
  for (const line of rejected) assert.not.ok(flowchart(line), `expected to fail: ${line}`);
  assert.ok(mermaidProblems(['subgraph s[Title (x)]', 'end']).length === 1, 'a missing diagram type is reported');
  assert.ok(mermaidProblems(['flowchart TD', 'subgraph s[Title (x)]', 'end']).length === 1);
  assert.ok(mermaidProblems(['%% a comment', 'sequenceDiagram', '  A--)B: async']).length === 0);
  assert.ok(mermaidProblems(['']).length === 1, 'an empty diagram is reported');
});

test.run();
