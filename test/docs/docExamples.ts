import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fencedBlocks } from './fencedBlocks.js';

/** One ```ts example found in the documentation or in a TSDoc comment. */
export interface DocExample {
  /** The file it is in, relative to the repository root, with `/` separators. */
  readonly file: string;
  /** Its number among the file's ```ts blocks, from 1. */
  readonly block: number;
  /** The file's line of the example's first code line, from 1; code line `i` (from 0) is line `line + i`. */
  readonly line: number;
  /** The symbol whose TSDoc holds it (`listen`, `Connection.write`), for TSDoc examples. */
  readonly symbol?: string;
  /** The code, one string per line. */
  readonly code: readonly string[];
}

/** The languages whose blocks are compiled. */
const TS = new Set(['ts', 'typescript']);

/** Folders whose `.ts` files are the published API (their TSDoc examples are compiled). */
export const SOURCE_DIRS = ['src', 'operators', 'schedulers'] as const;

/**
 * Every TypeScript example of the project: the ```ts blocks of README.md and docs/*.md, and those inside the
 * TSDoc comments of the `.ts` files under src/, operators/ and schedulers/.
 *
 * @param root the repository root
 * @returns the examples, Markdown files first, each file's in order
 */
export function docExamples(root: string): DocExample[] {
  const examples: DocExample[] = [];
  for (const file of markdownFiles(root)) examples.push(...markdownExamples(file, readFileSync(join(root, file), 'utf8')));
  for (const dir of SOURCE_DIRS) {
    for (const file of tsFiles(root, dir)) examples.push(...tsdocExamples(file, readFileSync(join(root, file), 'utf8')));
  }
  return examples;
}

/** README.md and docs/*.md, relative to `root`. */
export function markdownFiles(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'), { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => `docs/${entry.name}`)
    .sort();
  return ['README.md', ...docs];
}

/** The ```ts blocks of one Markdown text. */
export function markdownExamples(file: string, text: string): DocExample[] {
  let block = 0;
  return fencedBlocks(text.split(/\r?\n/))
    .filter((fenced) => TS.has(fenced.lang))
    .map((fenced) => ({ file, block: ++block, line: fenced.line, code: fenced.code }));
}

/**
 * The ```ts blocks inside the `/** ... *\/` comments of one TypeScript source text. The comment's leading
 * `*` and the one space after it are stripped, so the code keeps its own indentation.
 */
export function tsdocExamples(file: string, text: string): DocExample[] {
  const lines = text.split(/\r?\n/);
  const examples: DocExample[] = [];
  let block = 0;
  let container: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const top = /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:class|interface)\s+([A-Za-z_$][\w$]*)/.exec(lines[i]!);
    if (top !== null) container = top[1];
    if (!/^\s*\/\*\*/.test(lines[i]!)) continue;
    // Gather the comment's body lines with their file line numbers.
    const body: string[] = [];
    const at: number[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      let text = lines[j]!;
      const closes = text.includes('*/');
      if (closes) text = text.slice(0, text.indexOf('*/'));
      text = j === i ? text.replace(/^\s*\/\*\*\s?/, '') : text.replace(/^\s*\*(?: |$)/, '');
      body.push(text);
      at.push(j + 1);
      if (closes) break;
    }
    const symbol = declaredName(lines, j + 1, container);
    for (const fenced of fencedBlocks(body)) {
      if (!TS.has(fenced.lang)) continue;
      examples.push({ file, block: ++block, line: at[fenced.line - 1]!, symbol, code: fenced.code });
    }
    i = j;
  }
  return examples;
}

/** The name declared by the first code line at or after `from` (0-based), prefixed by its class if indented. */
function declaredName(lines: readonly string[], from: number, container: string | undefined): string | undefined {
  for (let k = from; k < lines.length; k++) {
    const text = lines[k]!;
    if (text.trim() === '' || /^\s*(\/\/|@)/.test(text)) continue;
    const top =
      /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|var|enum|namespace)\s+([A-Za-z_$][\w$]*)/.exec(
        text,
      );
    if (top !== null) return top[1];
    const member = /^\s+(?:(?:public|private|protected|static|readonly|override|abstract|async|get|set)\s+)*([A-Za-z_$][\w$]*)\s*[(<:=?!]/.exec(text);
    if (member !== null) return container !== undefined ? `${container}.${member[1]}` : member[1];
    return undefined;
  }
  return undefined;
}

/** The `.ts` files (not `.d.ts`) under `root/dir`, recursively, relative to `root`, sorted. */
function tsFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(relative(root, full).split('\\').join('/'));
    }
  };
  walk(join(root, dir));
  return found.sort();
}
