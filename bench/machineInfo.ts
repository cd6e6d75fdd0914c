import { cpus, freemem, release, totalmem, type as osType } from 'node:os';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** The machine and software a run measured on. @internal */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly loadAverage: string;
  readonly node: string;
  readonly os: string;
  readonly kernel: string;
  readonly tools: Record<string, string>;
}

function firstLine(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined) return 'not installed';
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0]!;
}

/**
 * Describes this machine: cores, CPU model, memory, Node and OS versions, the load average at start, and the
 * versions of the external tools.
 *
 * @internal
 * @returns the description
 */
export function machineInfo(): MachineInfo {
  let os = `${osType()} ${release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty !== null) os = pretty[1]!;
  } catch {
    // Not Linux: the kernel name is all we have.
  }
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    node: process.version,
    os,
    kernel: `${osType()} ${release()}`,
    tools: {
      'redis-benchmark': firstLine('redis-benchmark', ['--version']),
      'redis-server': firstLine('redis-server', ['--version']),
      wrk: firstLine('wrk', ['-v']),
    },
  };
}
