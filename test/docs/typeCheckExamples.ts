import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import type { DocExample } from './docExamples.js';

/** One compiler error, placed in the documentation it came from. */
export interface ExampleError {
  readonly example: DocExample;
  /** The line in `example.file`. */
  readonly line: number;
  readonly column: number;
  /** `TS2345: Argument of type ...` */
  readonly message: string;
}

/** What one compiler run over the examples found. */
export interface ExampleCheck {
  readonly errors: ExampleError[];
  /** Compiler output that could not be placed in an example (a broken generated tsconfig, a crash). */
  readonly unplaced: string[];
}

/**
 * Type-checks examples in one `tsc` run: each is written to its own module under `dir` (inside the package, so
 * the package's `exports` resolve `rxloop`, `rxloop/operators` and `rxloop/schedulers` to the built `dist` types,
 * as they would for a user: build first), and compiled with the repository's `tsconfig.json` options (NodeNext,
 * strict) and `noEmit`. `export {}` is appended so every example is a module: top-level `await` works and names
 * never clash.
 *
 * @param root the repository root (holding package.json, tsconfig.json and node_modules)
 * @param dir the scratch folder to write into, inside `root`; it is emptied first
 * @param examples what to check
 * @returns the errors, each mapped back to its documentation file and line
 */
export function typeCheckExamples(root: string, dir: string, examples: readonly DocExample[]): ExampleCheck {
  for (const entry of ['dist/src/index.d.ts', 'dist/operators/index.d.ts', 'dist/schedulers/index.d.ts']) {
    if (!existsSync(join(root, entry))) return { errors: [], unplaced: [`${entry} is missing: run npm run build first`] };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const byFile = new Map<string, DocExample>();
  examples.forEach((example, index) => {
    const name = `${String(index).padStart(3, '0')}-${example.file.replace(/[^A-Za-z0-9]+/g, '_')}-${example.block}.ts`;
    writeFileSync(join(dir, name), `${example.code.join('\n')}\nexport {};\n`);
    byFile.set(name, example);
  });
  const base = relative(dir, join(root, 'tsconfig.json')).split('\\').join('/');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: base,
      // An outDir other than dist/ stops TypeScript from mapping dist/*.d.ts back to the sources: the examples
      // see the built declarations, exactly as a user of the package does (and checking is twice as fast).
      compilerOptions: { noEmit: true, outDir: 'unused', declaration: false, declarationMap: false, sourceMap: false, inlineSources: false, incremental: false },
      include: ['*.ts'],
    }),
  );
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  // Coverage of the compiler itself is of no interest and costs seconds: do not let c8 follow it.
  const env = { ...process.env };
  delete env.NODE_V8_COVERAGE;
  let output: string;
  try {
    output = execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (failure) {
    const { stdout, stderr } = failure as { stdout?: string; stderr?: string };
    output = `${stdout ?? ''}${stderr ?? ''}`;
  }
  return placeErrors(output, byFile);
}

/** Maps `file(line,col): error TS...: message` lines (and their continuation lines) back to the examples. */
function placeErrors(output: string, byFile: ReadonlyMap<string, DocExample>): ExampleCheck {
  const errors: ExampleError[] = [];
  const unplaced: string[] = [];
  let last: { message: string } | undefined;
  for (const text of output.split(/\r?\n/)) {
    if (text.trim() === '') continue;
    const match = /^(.*?)\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(text);
    if (match === null) {
      // tsc indents the further lines of a message chain.
      if (last !== undefined && /^\s/.test(text)) last.message += `\n${text}`;
      else unplaced.push(text);
      continue;
    }
    const name = match[1]!.split(/[\\/]/).pop()!;
    const example = byFile.get(name);
    if (example === undefined) {
      unplaced.push(text);
      last = undefined;
      continue;
    }
    const error = { example, line: example.line + Number(match[2]) - 1, column: Number(match[3]), message: match[4]! };
    errors.push(error);
    last = error;
  }
  return { errors, unplaced };
}
