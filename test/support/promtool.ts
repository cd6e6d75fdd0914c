import { spawnSync } from 'node:child_process';

/**
 * Runs Prometheus's own linter over an exposition (`promtool check metrics`), failing loudly when promtool is
 * missing: .ci/run installs Debian's `prometheus`, which ships it.
 */
export function promtoolProblems(text: string): string {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error !== undefined) throw new Error('promtool is missing: apt-get install prometheus (it ships promtool)', { cause: run.error });
  return run.status === 0 ? '' : `${run.stdout}${run.stderr}`.trim() || `promtool exited ${run.status}`;
}
