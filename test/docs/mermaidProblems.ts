/**
 * The diagram types Mermaid 11 knows, as the first word of a diagram.
 * (`graph` is the old name of `flowchart`; the `-beta` ones are the current spelling of the newer types.)
 */
const DIAGRAM_TYPES = new Set([
  'flowchart', 'graph', 'sequenceDiagram', 'classDiagram', 'classDiagram-v2', 'stateDiagram', 'stateDiagram-v2',
  'erDiagram', 'journey', 'gantt', 'pie', 'quadrantChart', 'requirementDiagram', 'gitGraph', 'C4Context',
  'C4Container', 'C4Component', 'C4Dynamic', 'C4Deployment', 'mindmap', 'timeline', 'sankey-beta', 'xychart-beta',
  'block-beta', 'packet-beta', 'architecture-beta', 'kanban', 'radar-beta', 'treemap-beta',
]);

/** Flowchart statements that are not nodes and edges (and may hold parentheses, as in `click A call f()`). */
const FLOWCHART_DIRECTIVES = /^(classDef|class|style|linkStyle|click|direction|accTitle|accDescr)\b/;

const CLOSER: Readonly<Record<string, string>> = { '[': ']', '(': ')', '{': '}' };

/**
 * A structural check of one Mermaid diagram, standing in for Mermaid's parser (whose command-line tool needs a
 * browser that cannot be installed offline). It catches what breaks diagrams in practice:
 *
 * - the first statement is not a known diagram type;
 * - in a flowchart: an unbalanced `"`; a node shape (`[..]`, `(..)`, `{..}`, `([..])`, `[[..]]`, `((..))`,
 *   `{{..}}`, `id>..]`) that is not closed, or a closing bracket with no shape open; a bracket or `"` inside an
 *   unquoted shape label or `|edge label|` (Mermaid reads `A[write() failed]` as a new shape: write
 *   `A["write() failed"]`); a node named `end`, which Mermaid takes for the keyword.
 *
 * Text on an edge written as `-- text -->`, `-. text .->` or `== text ==>` may hold brackets, as in Mermaid.
 * Each rule was calibrated against Mermaid 11's own parser.
 *
 * @param code the diagram's lines, without the fences
 * @returns the problems, each naming its line (from 0, within `code`); empty when none is found
 */
export function mermaidProblems(code: readonly string[]): { readonly index: number; readonly problem: string }[] {
  const problems: { index: number; problem: string }[] = [];
  let first = 0;
  // Skip blank lines, %% comments and %%{init}%% directives, and a front-matter block.
  if (code[0]?.trim() === '---') {
    const close = code.findIndex((text, index) => index > 0 && text.trim() === '---');
    first = close === -1 ? code.length : close + 1;
  }
  while (first < code.length && (code[first]!.trim() === '' || code[first]!.trim().startsWith('%%'))) first++;
  if (first >= code.length) return [{ index: 0, problem: 'the diagram is empty' }];
  const type = code[first]!.trim().split(/\s+/)[0]!;
  if (!DIAGRAM_TYPES.has(type)) {
    return [{ index: first, problem: `expected a diagram type (flowchart, sequenceDiagram, ...), got '${type}'` }];
  }
  if (type !== 'flowchart' && type !== 'graph') return problems;
  for (let index = first + 1; index < code.length; index++) {
    const problem = flowchartLineProblem(code[index]!);
    if (problem !== undefined) problems.push({ index, problem });
  }
  return problems;
}

/** The first problem of one flowchart statement line, if any. */
function flowchartLineProblem(line: string): string | undefined {
  let text = line.replace(/%%.*$/, '').trim();
  if (text === '' || FLOWCHART_DIRECTIVES.test(text)) return undefined;
  if ((text.match(/"/g)?.length ?? 0) % 2 !== 0) return 'unbalanced "';
  text = text
    .replace(/"[^"]*"/g, '""')
    .replace(/@\{[^}]*\}/g, '')
    // Edge text (`A -- text --> B`, `-. text .->`, `== text ==>`) may hold anything but the arrow's end.
    .replace(/(--|==|-\.)(?![-=.>ox])(.*?)(-{2,}>|\.-+>|={2,}>|-{3,}|={3,}|\.-+|-{2,}[ox]|={2,}[ox])/g, ' $3 ');
  for (const label of text.match(/\|[^|]*\|/g) ?? []) {
    if (/[[\](){}]/.test(label)) return `unquoted bracket in the edge label ${label}: quote it, as |"..."|`;
  }
  text = text.replace(/\|[^|]*\|/g, ' ');
  if (/(?:^|-->|---|==>|\.->|&)\s*end\s*(?:$|--|==|-\.|&|[[({])/.test(text) && /-->|---|==>|\.->|&/.test(text)) {
    return "a node named 'end' (Mermaid reads it as the keyword): use End or another name";
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const asymmetric = c === '>' && i > 0 && /\w/.test(text[i - 1]!);
    if (c === ']' || c === ')' || c === '}') return `'${c}' closes no shape`;
    if (CLOSER[c] === undefined && !asymmetric) continue;
    let opener = asymmetric ? '>' : '';
    let j = asymmetric ? i + 1 : i;
    while (!asymmetric && j < text.length && CLOSER[text[j]!] !== undefined) opener += text[j++];
    const closer = asymmetric ? ']' : [...opener].reverse().map((o) => CLOSER[o]).join('');
    const end = text.indexOf(closer, j);
    if (end === -1) return `the shape opened by '${opener}' is not closed by '${closer}'`;
    const label = text.slice(j, end);
    if (/[[\](){}]/.test(label)) {
      return `unquoted bracket in the label ${opener}${label}${closer}: quote it, as ${opener}"..."${closer}`;
    }
    i = end + closer.length - 1;
  }
  return undefined;
}
