import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnTracked, type Spawned } from './spawned.js';

/** What a wrk run ended with: its totals from the Lua `done` hook, and its own summary text. */
export interface WrkResult {
  readonly requests: number;
  /** Responses whose status was not 2xx (counted per thread by the script's `response` hook). */
  readonly non2xx: number;
  /** wrk's socket errors by kind, and `status` (its own count of responses above 399). */
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly timeout: number; readonly status: number };
  readonly output: string;
}

// Every response is checked by status (wrk's own count covers only > 399), and the totals are printed on one
// line the test reads, beside wrk's summary.
const script = `local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format("rxloop-wrk requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d status=%d\\n",
    summary.requests, bad, e.connect, e.read, e.write, e.timeout, e.status))
end
`;

/** A wrk run under way: `stop()` ends it (SIGINT, wrk then prints its summary) and reads the result. */
export interface WrkRun {
  readonly process: Spawned;
  stop(): Promise<WrkResult>;
}

/**
 * Starts a real wrk (`wrk -t1 -c<connections> -d<seconds>s`) against `url` with a Lua script, written to
 * `dir`, that counts non-2xx responses. Fails loudly when wrk is missing (.ci/run installs Debian's `wrk`).
 */
export async function startWrk(dir: string, url: string, options: { connections: number; seconds: number }): Promise<WrkRun> {
  const file = join(dir, 'count.lua');
  writeFileSync(file, script);
  const args = ['-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--timeout', '5s', '-s', file, url];
  const process = await spawnTracked('wrk', args, 'apt-get install wrk');
  const stop = async (): Promise<WrkResult> => {
    if (process.child.exitCode === null) process.child.kill('SIGINT');
    const timer = setTimeout(() => process.child.kill('SIGKILL'), 10_000);
    const code = await process.exited;
    clearTimeout(timer);
    const output = process.output();
    const line = /rxloop-wrk requests=(\d+) non2xx=(\d+) connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+) status=(\d+)/.exec(output);
    if (line === null) throw new Error(`wrk exited (${code}) without its totals:\n${output}`);
    const [requests, non2xx, connect, read, write, timeout, status] = line.slice(1).map(Number) as [number, number, number, number, number, number, number];
    return { requests, non2xx, errors: { connect, read, write, timeout, status }, output };
  };
  return { process, stop };
}
