import { join } from 'node:path';
import type { BenchContext } from '../BenchContext.js';
import { ChildProcess } from '../ChildProcess.js';
import { alternate, withRatios, type Contender } from '../alternate.js';
import { profiled } from '../profileSummary.js';
import { backendSkipped, type BenchBackend } from '../backends.js';
import { section, type Scenario } from '../Scenario.js';
import type { Section } from '../Section.js';

/** The receivers, with the backend of the rxloop ones (the plain ones are node:net whatever is selected). @internal */
export const RECEIVE_MODES = [
  { id: 'plain-onread', label: 'plain onread, reused 64 KiB (baseline)' },
  { id: 'plain-data', label: "plain 'data' events" },
  { id: 'rx-proactor', label: 'rxloop proactor(), 4 x 64 KiB leases', backend: 'node' },
  { id: 'rx-data', label: 'rxloop Connection.data$', backend: 'node' },
  { id: 'rx-proactor-accepted', label: 'rxloop proactor() on an accepted socket', backend: 'node' },
  { id: 'rx-proactor-uring', label: 'rxloop proactor(), uring backend, 4 x 64 KiB leases', backend: 'uring' },
  { id: 'rx-data-uring', label: 'rxloop Connection.data$, uring backend', backend: 'uring' },
] as const satisfies readonly { id: string; label: string; backend?: BenchBackend }[];

/** One transfer: the sender is always its own process; the receiver connects to it, or accepts from it. */
async function measure(ctx: BenchContext, mode: string, nodeArgs: string[] = []): Promise<Record<string, number>> {
  const bytes = String(ctx.receiveBytes);
  const receiverScript = join(ctx.benchDir, 'clients', 'receiver.js');
  const senderScript = join(ctx.benchDir, 'clients', 'sender.js');
  const timeout = 120_000;
  let receiver: ChildProcess;
  let sender: ChildProcess;
  if (mode === 'rx-proactor-accepted') {
    receiver = ChildProcess.start('receiver', { script: receiverScript, args: ['--mode', mode, '--bytes', bytes], nodeArgs });
    const port = String((await receiver.ready())['port']);
    sender = ChildProcess.start('sender', { script: senderScript, args: ['--connect', port, '--bytes', bytes] });
  } else {
    sender = ChildProcess.start('sender', { script: senderScript, args: ['--listen', '--bytes', bytes] });
    const port = String((await sender.ready())['port']);
    receiver = ChildProcess.start('receiver', { script: receiverScript, args: ['--mode', mode, '--bytes', bytes, '--port', port], nodeArgs });
  }
  try {
    const received = await receiver.next(timeout);
    const sent = await sender.next(timeout);
    await Promise.all([receiver.wait(timeout), sender.wait(timeout)]);
    const seconds = Number(received['seconds']);
    if (Number(received['bytes']) < ctx.receiveBytes) throw new Error(`received ${String(received['bytes'])} of ${bytes} bytes`);
    return {
      mibPerSecond: ctx.receiveBytes / 2 ** 20 / seconds,
      seconds,
      receiverCpu: Number(received['cpu']) / seconds,
      cpuPerGiB: Number(received['cpu']) / (ctx.receiveBytes / 2 ** 30),
      senderCpu: Number(sent['cpu']) / Number(sent['seconds']),
      kibPerRead: ctx.receiveBytes / 1024 / Number(received['reads']),
    };
  } finally {
    await Promise.all([receiver.kill(), sender.kill()]);
  }
}

/**
 * Scenario 3: receive throughput over loopback, from a sender process, into proactor() with pooled leases,
 * Connection.data$ (each on the node and the uring backend), plain 'data' events and plain onread into a reused
 * buffer.
 *
 * @internal
 */
export const receiveScenario: Scenario = {
  id: 'receive',
  title: 'Receive throughput',
  async run(outer: BenchContext): Promise<Section[]> {
    // Loopback throughput is the noisiest figure on a shared machine and a round is cheap: at least 5 rounds.
    const ctx: BenchContext = outer.quick ? outer : { ...outer, rounds: Math.max(outer.rounds, 5) };
    const gib = ctx.receiveBytes / 2 ** 30;
    const size = gib >= 1 ? `${gib.toFixed(gib % 1 === 0 ? 0 : 2)} GiB` : `${Math.round(ctx.receiveBytes / 2 ** 20)} MiB`;
    const contenders: Contender[] = RECEIVE_MODES.map((mode) => {
      const skipped = 'backend' in mode ? backendSkipped(ctx.backends, mode.backend) : undefined;
      return { id: mode.id, label: mode.label, ...(skipped !== undefined ? { skipped } : {}), run: () => measure(ctx, mode.id) };
    });
    const results = withRatios(
      await alternate(ctx, 'receive', contenders, (f) =>
        `${Math.round(f['mibPerSecond']!)} MiB/s receiver-cpu=${f['receiverCpu']!.toFixed(2)} (${f['cpuPerGiB']!.toFixed(3)} s/GiB) ${f['kibPerRead']!.toFixed(0)} KiB/read`),
      'plain-onread', 'mibPerSecond', true,
    );
    if (ctx.profile) {
      await profiled(ctx, `rxloop proactor() receiving ${size}`, (nodeArgs) => measure(ctx, 'rx-proactor', nodeArgs));
      await profiled(ctx, `plain onread receiving ${size}`, (nodeArgs) => measure(ctx, 'plain-onread', nodeArgs));
      if (backendSkipped(ctx.backends, 'uring') === undefined) {
        await profiled(ctx, `rxloop proactor() on the uring backend receiving ${size}`, (nodeArgs) =>
          measure(ctx, 'rx-proactor-uring', nodeArgs));
      }
    }
    return [section(ctx, 'receive', {
      id: 'receive',
      title: `Receive throughput, ${size} over loopback`,
      commands: [`node dist/bench/clients/sender.js --listen --bytes ${ctx.receiveBytes}`,
        `node dist/bench/clients/receiver.js --mode MODE --bytes ${ctx.receiveBytes} --port PORT`],
      notes: [
        'The sender is its own process writing 1 MiB blocks with backpressure. The receiver connects to it (so ' +
          'the public onread option applies) except in the accepted-socket row, where the sender connects to an ' +
          'rxloop listen() and proactor() reads through the feature-checked private path.',
        'Timed from the first byte to the last. CPU figures are cores (CPU seconds per second).',
        'The uring rows connect with the io_uring backend: proactor() posts one receive request into each lease ' +
          '(the kernel writes into the reader\'s buffer); data$ takes multishot receives from the provided buffer ' +
          'ring (1,024 x 16 KiB), copied out in one buffer per batch.',
      ],
      primary: 'mibPerSecond',
      cost: 'cpuPerGiB',
      higherIsBetter: true,
      baseline: 'plain-onread',
      columns: [
        { key: 'mibPerSecond', label: 'MiB/s', digits: 0 },
        { key: 'receiverCpu', label: 'receiver CPU (cores)', digits: 2 },
        { key: 'cpuPerGiB', label: 'receiver CPU s per GiB', digits: 3 },
        { key: 'senderCpu', label: 'sender CPU (cores)', digits: 2 },
        { key: 'kibPerRead', label: 'KiB per read', digits: 1 },
      ],
      contenders: results,
    })];
  },
};
