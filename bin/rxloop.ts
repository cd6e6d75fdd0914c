#!/usr/bin/env node
// The `rxloop` command line: `rxloop serve <example>` runs an example server, `rxloop bench` the benchmarks.
// Exit status: 0 success, 1 failure to start or run, 2 bad arguments.
import { readFileSync } from 'node:fs';
import { ErrorCode, RxloopError } from '../src/errors.js';
import { cliUsage } from './cliUsage.js';
import { parseServeArgs, type ServeCommand } from './parseServeArgs.js';
import type { CliOutput } from './runServe.js';

const output: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case '-h':
    case '--help':
    case 'help':
      output.out(cliUsage.root.trimEnd());
      return 0;
    case '--version':
      output.out(version());
      return 0;
    case 'serve': {
      let parsed: ServeCommand | { readonly help: true };
      try {
        parsed = parseServeArgs(rest, process.env);
      } catch (error) {
        if (!(error instanceof RxloopError && error.code === ErrorCode.INVALID_ARGUMENT)) throw error;
        output.err(`rxloop serve: ${error.message}\nRun 'rxloop serve --help' for the options.`);
        return 2;
      }
      if (parsed.help) {
        output.out(cliUsage.serve.trimEnd());
        return 0;
      }
      // Loaded only now: help and argument errors should not wait for the whole library to load.
      const { runServe } = await import('./runServe.js');
      return runServe(parsed, output);
    }
    case 'bench': {
      const { runBench } = await import('./runBench.js');
      return runBench(rest, output);
    }
    case undefined:
      output.err(cliUsage.root.trimEnd());
      return 2;
    default:
      output.err(`rxloop: unknown ${command.startsWith('-') ? 'flag' : 'command'} ${command}\nRun 'rxloop --help' for the commands.`);
      return 2;
  }
}

function version(): string {
  // dist/bin/rxloop.js -> package.json
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

main(process.argv.slice(2)).then(
  // Exit explicitly: a stopped server's worker pool or sub-reactors must not keep the process alive.
  (status) => process.exit(status),
  (error: unknown) => {
    output.err(`rxloop: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
