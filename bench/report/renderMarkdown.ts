import type { BenchDocument, Section, TargetResult } from '../Section.js';

function format(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function verdict(target: TargetResult): string {
  return target.pass === undefined ? 'NOT MEASURED' : target.pass ? 'PASS' : 'MISS';
}

/** The verdict, with why a target has no figure. */
function verdictWithReason(target: TargetResult): string {
  return `**${verdict(target)}**${target.pass === undefined && target.missing !== undefined ? `: ${target.missing}` : ''}`;
}

/** Under the targets table: why each missed target misses, where a profile said so (see targets.ts). */
function whyMissedLines(targets: readonly TargetResult[]): string[] {
  const missed = targets.filter((t) => t.pass === false && t.whyMissed !== undefined);
  if (missed.length === 0) return [];
  return ['Why the missed targets miss (from their profiles):', '', ...missed.map((t) => `- **${t.name}**: ${t.whyMissed!}`), ''];
}

/** The report's line about backends: loud where io_uring could not run, so its rows are not silently absent. */
export function backendLines(doc: BenchDocument): string[] {
  const b = doc.backends;
  if (b === undefined) return [];
  const lines = [`Backends of the rxloop contenders: ${b.selected.join(', ')} (\`--backend ${b.requested}\`).`, ''];
  if (!b.uringAvailable) {
    lines.push(`> **io_uring backend NOT MEASURED: io_uring is unavailable on this machine (${b.uringReason ?? 'unknown reason'}).** ` +
      'Every uring contender below is skipped and every uring target is NOT MEASURED; run the bench on Linux 6.0 or ' +
      'later with the native addon built (npm ci) to measure them.', '');
  } else if (!b.selected.includes('uring')) {
    lines.push('> The uring contenders were not selected in this run; their targets are NOT MEASURED.', '');
  }
  return lines;
}

function costVerdict(t: TargetResult): string {
  if (t.costRatio === undefined) return '-';
  return (t.comparison === '>=' ? t.costRatio >= t.threshold : t.costRatio <= t.threshold) ? 'would pass' : 'would miss';
}

function measured(t: TargetResult): string {
  if (!Number.isFinite(t.value)) return 'n/a';
  return `${t.value.toFixed(2)}${t.unit === 'x' ? 'x' : ` ${t.unit}`}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric = true): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 || !numeric ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** The section's CPU-cost metric (sections written before it was recorded: found by column). */
function costMetric(s: Section): string | undefined {
  return s.cost ?? s.columns.find((column) => column.key === 'serverUsPerRequest' || column.key === 'cpuPerGiB')?.key;
}

/** The column of CPU-cost ratios: the baseline's CPU per unit of work over each contender's. */
function costRatio(s: Section, c: Section['contenders'][number]): string {
  const cost = costMetric(s) ?? '';
  const base = s.contenders.find((b) => b.id === s.baseline)?.medians[cost];
  const own = c.medians[cost];
  if (c.skipped !== undefined) return 'skipped';
  return base !== undefined && own !== undefined && own > 0 ? `${(base / own).toFixed(2)}x` : 'n/a';
}

function renderSection(s: Section, targets: readonly TargetResult[]): string[] {
  const lines = [`### ${s.title}`, ''];
  lines.push(`Measured ${s.measuredAt} (${s.mode} run, ${s.rounds} round${s.rounds === 1 ? '' : 's'}, contenders alternating; medians).`, '');
  lines.push('```', ...s.commands, '```', '');
  if (s.skipped !== undefined) {
    lines.push(`**Skipped:** ${s.skipped}`, '');
    return lines;
  }
  const ratioHeader = s.baseline === undefined ? [] : [s.higherIsBetter ? 'ratio to baseline' : 'ratio (baseline / this)'];
  const withCost = s.baseline !== undefined && costMetric(s) !== undefined;
  const costHeader = withCost ? ['CPU-cost ratio (baseline CPU / this)'] : [];
  const rows = s.contenders.map((c) => [
    c.label,
    ...s.columns.map((column) => (c.skipped !== undefined ? '-' : format(c.medians[column.key], column.digits))),
    ...(s.baseline === undefined ? [] : [c.skipped !== undefined ? 'skipped' : c.ratio === undefined ? 'n/a' : `${c.ratio.toFixed(2)}x`]),
    ...(withCost ? [costRatio(s, c)] : []),
  ]);
  lines.push(...table(['contender', ...s.columns.map((column) => column.label), ...ratioHeader, ...costHeader], rows), '');
  const skipped = s.contenders.filter((c) => c.skipped !== undefined);
  for (const c of skipped) lines.push(`- **${c.label} skipped:** ${c.skipped}`);
  for (const note of s.notes) lines.push(`- ${note}`);
  for (const t of targets.filter((target) => target.section === s.id)) {
    const cost = t.costRatio === undefined ? '' : ` (on CPU cost: ${t.costRatio.toFixed(2)}x)`;
    lines.push(`- Target: ${t.name}: ${measured(t)} -> ${verdictWithReason(t)}${cost}`);
  }
  lines.push('');
  return lines;
}

/**
 * Renders the whole report (docs/benchmarks.md) from the JSON document.
 *
 * @internal
 * @param doc the figures
 * @returns the markdown
 */
export function renderMarkdown(doc: BenchDocument): string {
  const m = doc.machine as Record<string, unknown> & { tools?: Record<string, string> };
  const lines = [
    '# Benchmarks',
    '',
    `Generated by \`${doc.command}\` at ${doc.generatedAt}. Regenerate with \`npm run bench\` ` +
      '(`npm run bench -- --quick` for a short smoke run, `--only resp,http` for some scenarios, `--profile` for CPU ' +
      'profiles of the rxloop servers, `--render` to redraw this page from the JSON). Raw figures: ' +
      '[benchmarks.json](benchmarks.json).',
    '',
    `> **Read these numbers with care.** This machine has ${String(m['cores'])} cores, and the load generator ` +
      '(redis-benchmark, wrk, the bench\'s own Node clients) runs on the same cores as the server under test, so ' +
      'every figure measures the pair. The machine is also shared with other engineers running tests: each ' +
      'scenario runs its contenders alternately (A B C A B C ...) and reports medians so that drift hits all ' +
      'contenders alike, but single throughput figures moved by 2x between rounds while this report was made. ' +
      'Compare ratios, not absolute numbers, and prefer the CPU-cost ratios (CPU seconds of the server process per ' +
      'request or per GiB, which do not count time spent waiting for a core) where throughput ratios disagree.',
    '',
    ...backendLines(doc),
    '## Machine',
    '',
    ...table(['what', 'this run'], [
      ['CPU', `${String(m['cpuModel'])}, ${String(m['cores'])} cores`],
      ['Memory', `${String(m['memoryGiB'])} GiB (${String(m['freeMemoryGiB'])} GiB free at start)`],
      ['Load average at start', String(m['loadAverage'])],
      ['Node.js', String(m['node'])],
      ['OS', `${String(m['os'])} (${String(m['kernel'])})`],
      ...Object.entries(m.tools ?? {}).map(([tool, version]) => [tool, version]),
    ], false),
    '',
    '## Targets',
    '',
    ...table(['target', 'measured', 'result', 'same ratio on CPU cost', 'run'], doc.targets.map((t) => [
      t.name,
      measured(t),
      verdictWithReason(t),
      t.costRatio === undefined ? '-' : `${t.costRatio.toFixed(2)}x (${costVerdict(t)})`,
      t.measuredAt === undefined ? '-' : `${t.mode ?? ''}, ${t.measuredAt.slice(0, 16).replace('T', ' ')} UTC`,
    ]), false),
    '',
    ...whyMissedLines(doc.targets),
    'The targets are judged on throughput, as the issue states them. The CPU-cost column applies the same ' +
      'threshold to the CPU each server spends per request (or per GiB received): on this shared machine it is the ' +
      'steadier of the two.',
    '',
    '![Ratios to each scenario\'s baseline](benchmarks.svg)',
    '',
    '## Scenarios',
    '',
  ];
  for (const s of doc.sections) lines.push(...renderSection(s, doc.targets));
  if (doc.profiles.length > 0) {
    lines.push('## CPU profiles', '',
      'Made with `npm run bench -- --profile` (`node --cpu-prof` on the server or receiver process, one extra ' +
        'measurement each). V8 samples wall-clock time: on a loaded 2-core machine the time a thread spends ' +
        'preempted inside a system call is charged to that call (`writeBuffer`, `writev`), so read each rxloop ' +
        'profile against its plain baseline\'s, not on its own.', '');
    for (const p of doc.profiles) lines.push(`### ${p.title}`, '', `Measured ${p.measuredAt}.`, '', '```', ...p.frames, '```', '');
  }
  return `${lines.join('\n')}\n`;
}
