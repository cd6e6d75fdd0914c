import type { Section, TargetResult } from './Section.js';

/** A target from the issue, stated over the figures of one section. @internal */
export interface TargetSpec {
  readonly name: string;
  /** The section id it reads. */
  readonly section: string;
  /** The contender measured. */
  readonly contender: string;
  /** The contender it is compared with; without it the target bounds the metric itself. */
  readonly against?: string;
  /** The metric: the value is contender / against, or the contender's own value. */
  readonly metric: string;
  readonly comparison: '>=' | '<=' | '<';
  readonly threshold: number;
  readonly unit: 'x' | 'MiB';
  /**
   * A CPU-cost metric of the same section (CPU per request, per GiB): the ratio `against / contender` of it is
   * reported next to the target, because CPU time does not count waiting for a core and so moves far less than
   * throughput on a shared machine.
   */
  readonly costMetric?: string;
  /**
   * Why it missed when it was last profiled (top frames, dated), shown under the target in the report while it
   * misses, so a re-render or a re-run keeps the explanation next to the figure it explains.
   */
  readonly whyMissed?: string;
}

/** The targets the issue sets, in report order. @internal */
export const TARGETS: readonly TargetSpec[] = [
  { name: 'RESP singleReactor >= 0.95x plain at -P 1', section: 'resp-p1', contender: 'single', against: 'plain',
    metric: 'geomean', comparison: '>=', threshold: 0.95, unit: 'x', costMetric: 'serverUsPerRequest' },
  { name: 'RESP singleReactor >= 0.95x plain at -P 16', section: 'resp-p16', contender: 'single', against: 'plain',
    metric: 'geomean', comparison: '>=', threshold: 0.95, unit: 'x', costMetric: 'serverUsPerRequest' },
  { name: 'HTTP singleReactor >= 1.6x node:http', section: 'http', contender: 'single', against: 'node-http',
    metric: 'rps', comparison: '>=', threshold: 1.6, unit: 'x', costMetric: 'serverUsPerRequest' },
  { name: 'HTTP singleReactor >= 0.9x plain', section: 'http', contender: 'single', against: 'plain',
    metric: 'rps', comparison: '>=', threshold: 0.9, unit: 'x', costMetric: 'serverUsPerRequest' },
  { name: 'RESP multiReactor threads <= 1.25x singleReactor CPU per request at -P 16', section: 'resp-p16',
    contender: 'threads', against: 'single', metric: 'serverUsPerRequest', comparison: '<=', threshold: 1.25, unit: 'x' },
  { name: 'HTTP multiReactor threads <= 1.05x singleReactor CPU per request', section: 'http', contender: 'threads',
    against: 'single', metric: 'serverUsPerRequest', comparison: '<=', threshold: 1.05, unit: 'x' },
  { name: 'proactor >= 0.95x plain onread', section: 'receive', contender: 'rx-proactor', against: 'plain-onread',
    metric: 'mibPerSecond', comparison: '>=', threshold: 0.95, unit: 'x', costMetric: 'cpuPerGiB' },
  { name: 'idle memory <= 1.2x plain (RSS per connection, rxloop listen)', section: 'memory-idle', contender: 'rx-listen',
    against: 'plain', metric: 'rssPerConnection', comparison: '<=', threshold: 1.2, unit: 'x' },
  // The io_uring backend (issue #14), each against its reference in the same A B A B run.
  { name: 'RESP uring CPU per command <= 1/1.3 of the node backend at -P 16, 500 connections (one core)',
    section: 'resp-p16-c500', contender: 'single-uring', against: 'single', metric: 'serverUsPerRequest',
    comparison: '<=', threshold: 1 / 1.3, unit: 'x' },
  { name: 'RESP uring CPU per command <= Redis 7 at -P 16, 500 connections (one core)', section: 'resp-p16-c500',
    contender: 'single-uring', against: 'redis', metric: 'serverUsPerRequest', comparison: '<=', threshold: 1, unit: 'x',
    whyMissed: 'profile of 2026-12-03 (npm run bench -- --profile, the uring single reactor under redis-benchmark -c 500 ' +
      '-P 16): the write system call that leads the node backend\'s profile (writeBuffer 19.3% of self time) is gone, ' +
      'which is the 0.75x against the node backend; what is left is JavaScript per command: the RESP engine ' +
      '(RespParser.next 8.2%, RespSession.drain 7.0%, RespSession.run 2.4%, stringCommands 4.3%, sessionReplies.next ' +
      '2.7%), garbage collection 6.0%, and a string and a Buffer per key or value (latin1Slice 4.6%, Buffer slice 3.4%); ' +
      'the uring backend itself is 12.5% (UringLoop 6.3%, UringTransport 6.2%, batchEnd 2.4%). Redis 7 does the same ' +
      'parsing and dispatch in C without allocating per command, so the gap (about 0.85 us per command) is the JS ' +
      'engine, not the I/O path.' },
  { name: 'HTTP uring singleReactor >= 3x node:http', section: 'http', contender: 'single-uring', against: 'node-http',
    metric: 'rps', comparison: '>=', threshold: 3, unit: 'x', costMetric: 'serverUsPerRequest',
    whyMissed: 'profile of 2026-12-03 (npm run bench -- --profile, wrk -t1 -c50): the uring server runs at one full core ' +
      '(server CPU 1.02 cores, wrk 0.8 of the other), so its rate is its CPU per request: 11.2 us against node:http\'s ' +
      '31.0 us (2.77x; 3x needs 10.3 us or less). Without pipelining every request is one send request of its own, and ' +
      'submitting them is the top of the profile: UringTransport.flushWrites 9.1% (ring.send / sendv, the native SQE ' +
      'preparation is charged to it), UringLoop.flushAll 6.3%, UringLoop.scheduleFlush 4.1% (a nextTick per turn), ' +
      'UringLoop.onBatch 4.3%: the uring backend is 30.4% of self time (UringLoop 16.3%, UringTransport 14.1%), more ' +
      'than the HTTP handler (HttpHeadScanner.scan 7.6%, httpResponses 4.3%). node:http\'s profile is led by writev ' +
      '(54.1%), the system call the uring backend replaces.' },
  { name: 'uring proactor >= 1.3x plain onread', section: 'receive', contender: 'rx-proactor-uring', against: 'plain-onread',
    metric: 'mibPerSecond', comparison: '>=', threshold: 1.3, unit: 'x', costMetric: 'cpuPerGiB' },
  { name: 'idle memory uring <= 0.5x plain node:net (RSS per connection, rxloop listen)', section: 'memory-idle',
    contender: 'rx-listen-uring', against: 'plain', metric: 'rssPerConnection', comparison: '<=', threshold: 0.5, unit: 'x',
    whyMissed: 'run of 2026-12-03, 5,000 idle connections (a memory target: read from the heap figures of the same run, ' +
      'no heap snapshot taken): the uring rows save about 3 KB per connection against the node backend (4,236 B RSS ' +
      'against 7,336 B: no net.Socket, TCPWrap or libuv stream per connection), but the JavaScript heap per connection ' +
      'alone is 2,622 B against 1,068-1,117 B for the plain echo, which is already 1.0x the plain server\'s whole RSS per ' +
      'connection; 0.5x (about 1,300 B) is below what the Connection, its UringTransport, data$, the sendTo writer and ' +
      'the RxJS subscriber with its finalizers take (the node:net + one RxJS subscription reference row is 4,069-4,878 B).' },
  { name: 'flood growth < 64 MiB (boundedConcatMap)', section: 'memory-flood', contender: 'bounded',
    metric: 'growthMiB', comparison: '<', threshold: 64, unit: 'MiB' },
];

function median(section: Section | undefined, contender: string | undefined, metric: string): number {
  const result = section?.contenders.find((c) => c.id === contender);
  if (result === undefined || result.skipped !== undefined) return NaN;
  return result.medians[metric] ?? NaN;
}

/** Why a target has no figure: its section missing or skipped, or a contender it reads skipped or absent. */
function whyMissing(spec: TargetSpec, section: Section | undefined): string {
  if (section === undefined) return `section ${spec.section} was not measured`;
  if (section.skipped !== undefined) return section.skipped;
  for (const id of [spec.contender, spec.against]) {
    if (id === undefined) continue;
    const result = section.contenders.find((c) => c.id === id);
    if (result === undefined) return `${id} is not in section ${spec.section}`;
    if (result.skipped !== undefined) return `${result.label}: ${result.skipped}`;
  }
  return `no ${spec.metric} figure`;
}

/**
 * Evaluates the targets on the sections of a report (those of this run and those kept from earlier runs).
 *
 * @internal
 * @param sections the report's sections
 * @returns one result per target; `pass` is `undefined` where a figure is missing, with `missing` saying why
 */
export function evaluateTargets(sections: readonly Section[]): TargetResult[] {
  return TARGETS.map((spec) => {
    const section = sections.find((s) => s.id === spec.section);
    const own = median(section, spec.contender, spec.metric);
    const value = spec.against === undefined ? own : own / median(section, spec.against, spec.metric);
    const pass = !Number.isFinite(value)
      ? undefined
      : spec.comparison === '>=' ? value >= spec.threshold : spec.comparison === '<=' ? value <= spec.threshold : value < spec.threshold;
    const cost = spec.costMetric === undefined
      ? undefined
      : median(section, spec.against, spec.costMetric) / median(section, spec.contender, spec.costMetric);
    return {
      name: spec.name,
      section: spec.section,
      value,
      comparison: spec.comparison,
      threshold: spec.threshold,
      unit: spec.unit,
      pass,
      ...(pass === undefined ? { missing: whyMissing(spec, section) } : {}),
      ...(pass === false && spec.whyMissed !== undefined ? { whyMissed: spec.whyMissed } : {}),
      ...(cost !== undefined && Number.isFinite(cost) ? { costRatio: cost } : {}),
      ...(section !== undefined ? { mode: section.mode, measuredAt: section.measuredAt } : {}),
    };
  });
}
