import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ); 100 on every Linux we run on. */
const TICKS = 100;

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system) a process has used so far, or 0 when it is gone.
 *
 * @internal
 * @param pid the process
 * @returns seconds of CPU
 */
export function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 once pid, comm and state are cut off.
  return fields === undefined ? 0 : (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * CPU seconds of the children this process has waited for (cutime + cstime). The difference across a
 * child's whole life is that child's CPU use, which is how we measure tools such as redis-benchmark or wrk.
 *
 * @internal
 * @returns seconds of CPU of reaped children
 */
export function reapedChildrenCpuSeconds(): number {
  const fields = statFields(process.pid);
  return fields === undefined ? 0 : (Number(fields[13]) + Number(fields[14])) / TICKS;
}

/**
 * A process and all its descendants (a multi-reactor's sub-reactors, a pool's threads are in the process).
 *
 * @internal
 * @param root the process at the top
 * @returns the pids, root first
 */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (fields === undefined) continue;
    const ppid = Number(fields[1]);
    const list = parents.get(ppid);
    if (list === undefined) parents.set(ppid, [pid]);
    else list.push(pid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

/**
 * CPU seconds of a process and its descendants still alive.
 *
 * @internal
 * @param root the process at the top
 * @returns seconds of CPU
 */
export function treeCpuSeconds(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) total += cpuSeconds(pid);
  return total;
}

/**
 * Resident memory of a process (VmRSS), in bytes; 0 when it is gone.
 *
 * @internal
 * @param pid the process
 * @returns bytes
 */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Resident memory of a process and its descendants, in bytes.
 *
 * @internal
 * @param root the process at the top
 * @returns bytes
 */
export function treeRssBytes(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) total += rssBytes(pid);
  return total;
}
