/** One fenced code block of a Markdown text. */
export interface FencedBlock {
  /** The info string's first word, lower-cased (`ts`, `sh`, `mermaid`; `''` when absent). */
  readonly lang: string;
  /** The 1-based line, within the lines given, of the block's first code line. */
  readonly line: number;
  /** The code, one string per line, without the fences. */
  readonly code: readonly string[];
}

/**
 * Finds the fenced code blocks (``` or ~~~, three or more) in Markdown lines. A block closes at a fence of the
 * same character at least as long; an unclosed block runs to the end, as CommonMark says, and is reported with
 * `unclosed: true` so a checker can flag it.
 *
 * @param lines the Markdown, one string per line
 * @returns the blocks in order
 */
export function fencedBlocks(lines: readonly string[]): (FencedBlock & { readonly unclosed: boolean })[] {
  const blocks: (FencedBlock & { unclosed: boolean })[] = [];
  let open: { fence: string; lang: string; line: number; code: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (open === undefined) {
      const start = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(text);
      if (start !== null) open = { fence: start[1]!, lang: start[2]!.toLowerCase(), line: i + 2, code: [] };
      continue;
    }
    const end = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(text);
    if (end !== null && end[1]![0] === open.fence[0] && end[1]!.length >= open.fence.length) {
      blocks.push({ lang: open.lang, line: open.line, code: open.code, unclosed: false });
      open = undefined;
    } else {
      open.code.push(text);
    }
  }
  if (open !== undefined) blocks.push({ lang: open.lang, line: open.line, code: open.code, unclosed: true });
  return blocks;
}
