import { spawn, spawnSync } from 'node:child_process';
import { reapedChildrenCpuSeconds } from './procStat.js';

/** What an external load generator did. @internal */
export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
  /** CPU seconds the tool used (user + system), from this process's reaped-children counters. */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
}

/**
 * Runs an external tool (redis-benchmark, wrk) to completion and measures its CPU use. Nothing else may be
 * reaped by this process meanwhile, which the harness guarantees by awaiting every child it stops.
 *
 * @internal
 * @param command the executable
 * @param args its arguments
 * @param timeoutMs kill it after this long
 * @param cpus pin it to these CPUs (a `taskset -c` list), or run it anywhere
 * @returns its output and costs
 */
export function runTool(command: string, args: readonly string[], timeoutMs: number, cpus?: string): Promise<ToolRun> {
  const cpuBefore = reapedChildrenCpuSeconds();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const argv = cpus === undefined ? [command, ...args] : ['taskset', '-c', cpus, command, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-8000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        stdout,
        stderr,
        code,
        cpuSeconds: reapedChildrenCpuSeconds() - cpuBefore,
        wallSeconds: (performance.now() - started) / 1000,
      });
    });
  });
}

/**
 * The absolute path of an executable on PATH, or `undefined`.
 *
 * @internal
 * @param name the executable
 * @returns its path
 */
export function which(name: string): string | undefined {
  const found = spawnSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path.length > 0 ? path : undefined;
}
