import type { Section } from '../Section.js';

const WIDTH = 960;
const LABEL = 330;
const BARS = 520;
const ROW = 20;
const TITLE = 26;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A hand-written SVG bar chart of each contender's ratio to its section's baseline (1.0 = baseline, longer is
 * better: for lower-is-better metrics the ratio is baseline / value). Sections without a baseline or that were
 * skipped are left out; skipped contenders are listed as such.
 *
 * @internal
 * @param sections the report's sections
 * @returns the SVG document
 */
export function ratioChart(sections: readonly Section[]): string {
  const charted = sections.filter((s) => s.baseline !== undefined && s.skipped === undefined && s.contenders.length > 0);
  const maxRatio = Math.max(1.25, ...charted.flatMap((s) => s.contenders.map((c) => c.ratio ?? 0)));
  const scale = BARS / (Math.ceil(maxRatio * 4) / 4);
  const parts: string[] = [];
  let y = 40;
  for (const s of charted) {
    parts.push(`<text x="10" y="${y + 16}" class="title">${escape(s.title)}${s.mode === 'quick' ? ' (quick run)' : ''}</text>`);
    y += TITLE;
    for (const c of s.contenders) {
      parts.push(`<text x="${LABEL - 8}" y="${y + 14}" class="label" text-anchor="end">${escape(c.label)}</text>`);
      if (c.ratio === undefined) {
        parts.push(`<text x="${LABEL + 4}" y="${y + 14}" class="skip">${escape(c.skipped !== undefined ? 'skipped' : 'n/a')}</text>`);
      } else {
        const width = Math.max(1, c.ratio * scale);
        const kind = c.id === s.baseline ? 'base' : c.ratio >= 1 ? 'good' : 'bad';
        parts.push(`<rect x="${LABEL}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 6}" class="${kind}"/>`);
        parts.push(`<text x="${(LABEL + width + 4).toFixed(1)}" y="${y + 14}" class="value">${c.ratio.toFixed(2)}x</text>`);
      }
      y += ROW;
    }
    y += 8;
  }
  const height = y + 30;
  const grid: string[] = [];
  for (let r = 0.25; r * scale <= BARS + 0.1; r += 0.25) {
    const x = (LABEL + r * scale).toFixed(1);
    grid.push(`<line x1="${x}" y1="34" x2="${x}" y2="${y}" class="${r === 1 ? 'one' : 'grid'}"/>`);
    grid.push(`<text x="${x}" y="${y + 16}" class="axis" text-anchor="middle">${r.toFixed(2)}x</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    '<style>',
    '.title{font-size:14px;font-weight:bold;fill:#222}.label{font-size:12px;fill:#333}.value{font-size:11px;fill:#222}',
    '.skip{font-size:11px;fill:#999;font-style:italic}.axis{font-size:10px;fill:#666}',
    '.base{fill:#9e9e9e}.good{fill:#4caf50}.bad{fill:#ff9800}.grid{stroke:#eee}.one{stroke:#333;stroke-dasharray:4 3}',
    '</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    '<text x="10" y="22" font-size="16" font-weight="bold">rxloop benchmarks: ratio to each scenario\'s baseline (longer is better, dashed line = baseline)</text>',
    ...grid,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
