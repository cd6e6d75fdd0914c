import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CliOutput } from './runServe.js';

/**
 * Runs `rxloop bench [args]`: hands the arguments to the benchmark runner (dist/bench/run.js, next to this
 * file's directory) in a child process and resolves with its exit status. The runner belongs to the
 * repository, not to the published package; without it this explains where it would be and returns 1.
 *
 * ## Example
 * ```ts
 * import { runBench } from './runBench.js';
 *
 * process.exitCode = await runBench(['--help'], { out: console.log, err: console.error });
 * ```
 *
 * @internal
 * @param args the arguments after `bench`
 * @param output where to print
 * @returns the runner's exit status (1 when it is missing or died of a signal)
 */
export function runBench(args: readonly string[], output: CliOutput): Promise<number> {
  const runner = fileURLToPath(new URL('../bench/run.js', import.meta.url));
  if (!existsSync(runner)) {
    output.err(
      `rxloop bench: the benchmark runner is not available (expected ${runner}).\n` +
        'It is part of the rxloop repository, not of the published package: in a checkout, run npm run build, ' +
        'then rxloop bench (or node dist/bench/run.js).',
    );
    return Promise.resolve(1);
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, ...args], { stdio: 'inherit' });
    // The runner decides how to stop (Ctrl-C reaches it too, through the process group); we wait for it.
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    const done = (status: number): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(status);
    };
    child.on('error', (error) => {
      output.err(`rxloop bench: could not start the runner: ${error.message}`);
      done(1);
    });
    child.on('exit', (code) => done(code ?? 1));
  });
}
