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
    contender: 'threads', against: 'single', metric: 'serverUsPerRequest', comparison: '<=', threshold: 1.25, unit: 'x',
    whyMissed: 'measured 2026-12-03 with the keyspace reached over shared memory rings (2.21x; 2.33x over the Unix ' +
      'socket before): per thread from /proc (redis-benchmark -c 50 -P 16, 1.6M commands) the single reactor spent ' +
      '1.00 us per command with 2.9k voluntary context switches, the threads 2.11 us with 33k: the two sub-reactors ' +
      '1.28 us (client I/O as under one reactor, the frames; half of it system time), the keyspace thread 0.56 us, ' +
      'V8 helper threads 0.28 us (three heaps). node --cpu-prof per thread: sub-reactors writeBuffer (the client ' +
      'replies) 25%, SharedRing.wakeReader (Atomics.notify waking the other thread) 11-13%; main thread wakeReader ' +
      '13%, then the RESP engine. The keyspace thread sleeps between batches and is woken for nearly every one, and ' +
      'a wake-up costs about as much through Atomics.notify as through a socket (bench/keyspaceTransport.ts: 63 us vs ' +
      '73 us of CPU per round trip with 1 batch in flight). The floor, measured 2026-12-03 17:40 UTC (the bench\'s ' +
      '"keyspace per thread" row: the threads topology with no keyspace hop at all, not one keyspace): 1.33x single ' +
      '(1.50 us against 1.13 us, medians of 3), so on two cores the topology alone misses the target; the hop adds ' +
      'about 0.75 us per command. See docs/examples.md, "The keyspace under threads".' },
  { name: 'HTTP multiReactor threads <= 1.05x singleReactor CPU per request', section: 'http', contender: 'threads',
    against: 'single', metric: 'serverUsPerRequest', comparison: '<=', threshold: 1.05, unit: 'x',
    whyMissed: 'profiles of 2026-12-03 (node --cpu-prof per thread, wrk -t1 -c50 -d5s, acceptor mode): the main ' +
      'thread is idle once the 50 connections are handed over; each sub-reactor thread spends 61-63% of its busy ' +
      'time in writeBuffer (one response write per request; the single reactor 76%) and 5-7% in (program), the ' +
      'HTTP engine a few percent: the extra CPU is the kernel and scheduling cost of two busy sub-reactors and wrk ' +
      'on two cores (the threads ran 14.5 us per request against the single reactor\'s 10.9 us in that pair), not ' +
      'work the threads add in JavaScript. HTTP has no service, so the ring link does not touch it.' },
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
    whyMissed: 'profiles of 2026-12-03 (node --cpu-prof on the server pinned to CPU 1, redis-benchmark -c 500 -P 16 ' +
      '-n 1000000 on CPU 0): the write system call that leads the node backend\'s profile (writeBuffer 34.4% of self ' +
      'time) is gone on uring; what is left is JavaScript per command: the RESP engine (RespParser.next 14.9%, ' +
      'RespSession.run 9.0%, sessionReplies.next 4.7%, RespSession.drain 3.3%, stringCommands 4.6%, LargeMap.set ' +
      '3.0%), a string and a Buffer per key or value (latin1Slice 5.4%, Buffer slice 3.3%), and the uring backend ' +
      'itself at 19.0% (UringLoop 10.2%: onBatch 3.2%, flushAll 2.7%; UringTransport 8.8%: batchEnd 3.9%, flushWrites ' +
      '3.0%). Redis 7 parses and dispatches in C without allocating per command, so the gap (about 0.85 us per ' +
      'command in the bench run) is the JS engine and the per-batch JS of the backend, not system calls. The same ' +
      'profiled pair gave 1.76 us (uring) against 1.94 us (node) per command, 0.91x: the 0.75x of the bench run is ' +
      'inside this machine\'s noise of the 1/1.3 target.' },
  { name: 'HTTP uring singleReactor >= 3x node:http', section: 'http', contender: 'single-uring', against: 'node-http',
    metric: 'rps', comparison: '>=', threshold: 3, unit: 'x', costMetric: 'serverUsPerRequest',
    whyMissed: 'profiles of 2026-12-03 (node --cpu-prof, wrk -t1 -c50 -d8s): the uring server runs at one full core ' +
      '(server CPU 1.02 cores, wrk 0.75-0.85 of the other), so its rate is its CPU per request: 11.2 us against ' +
      'node:http\'s 31.0 us in the bench run (2.77x; 3x needs 10.3 us or less), 10.6 us against 31.1 us (2.94x, ' +
      '96,138 against 33,644 req/s) in the profiled one. Without pipelining each request is a send request of its own, ' +
      'and submitting them leads the profile: UringTransport.flushWrites 15.5% (ring.send / sendv; the native SQE ' +
      'preparation is charged to it), UringLoop.flushAll 8.6%, UringLoop.onBatch 6.3%, UringLoop.scheduleFlush 5.6% ' +
      '(a nextTick per turn): the uring backend is 39.7% of self time (UringLoop 22.0%, UringTransport 17.7%), more ' +
      'than the HTTP handler (HttpHeadScanner 14.3%, httpResponses 4.2%). node:http\'s profile is led by writev ' +
      '(59.0%), the system call the uring backend replaces.' },
  { name: 'uring proactor >= 1.3x plain onread', section: 'receive', contender: 'rx-proactor-uring', against: 'plain-onread',
    metric: 'mibPerSecond', comparison: '>=', threshold: 1.3, unit: 'x', costMetric: 'cpuPerGiB',
    whyMissed: 'profiles of 2026-12-03 (node --cpu-prof on the receiver, 2 GiB; that transfer gave 3,682 MiB/s and 0.240 ' +
      's/GiB on uring against 4,359 MiB/s and 0.200 s/GiB for onread, 0.84x, where the bench\'s 512 MiB rounds of ' +
      '0.13-0.2 s gave 0.65x): JavaScript is a small part of either receiver: the uring one\'s hottest rxloop frames ' +
      'are UringTransport.pump 4.9% (posting the next receive into a lease) and UringLoop.onBatch 1.5%, 12.7% for ' +
      'rxloop and rxjs together, and the rest of its CPU is the kernel copying into the lease, which V8 does not ' +
      'sample. A receive into a user buffer copies exactly as read() does, so io_uring cannot beat onread on the copy; ' +
      'what differs is the turn per 64 KiB: the contract posts one lease per connection, so each of the 33,314 ' +
      'completions goes kernel -> ring -> epoll wake -> JavaScript -> new receive -> next loop turn\'s ' +
      'io_uring_enter before the kernel can fill the next lease, while libuv\'s onread reads up to 32 times per ' +
      'wake-up into the same buffer. 1.3x would need fewer copies (zero-copy receive) or several leases in flight. ' +
      'Since the provided-reads change (later on 2026-12-03), proactor() on uring leases the ring\'s own 16 KiB ' +
      'buffers with the credit in flight (16 buffers, one capped multishot receive per 256 KiB: 4,097 ring entries ' +
      'for 65,536 leases per GiB): the first 1 GiB run gave 0.57x (0.45 s/GiB of receiver CPU against 0.15 for ' +
      'onread, the receiver saturated). No copy is left in user space. A --cpu-prof of that receiver (2 GiB) puts ' +
      'JavaScript under a fifth of its samples (82% idle to V8: the kernel\'s task work, one socket receive per 16 KiB ' +
      'ring buffer, four per 64 KiB read of onread); rxloop\'s own frames (Lease, giveBack, onBatch, flushReturns) are ' +
      'under 2% together. perf of that receiver (2026-12-03 18:35 UTC, 2 GiB) puts 26% of its samples in the ' +
      'kernel\'s copy into the ring buffers (_copy_to_iter), which walks all 16 MiB of the default ring (1,024 x 16 ' +
      'KiB) while onread copies into one hot 64 KiB buffer. The bench with only the ring changed (two runs of five ' +
      'rounds per ring, ratios to onread in the same run): 1,024 x 16 KiB 0.47-0.55x at 2.7-3.1x the CPU per GiB, ' +
      '256 x 64 KiB 0.54-0.69x at 2.3-2.7x, 64 x 16 KiB 0.61-0.78x, 16 x 64 KiB 0.73-1.04x at 1.5-2.0x: a ring that ' +
      'fits the cache helps, the buffer size less (an earlier scratch figure of 2.6x for 256 x 64 KiB did not ' +
      'reproduce). The default ring keeps 1,024 buffers for servers with many connections; see docs/backends.md.' },
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
