import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../../src/backends/Backend.js';
import type { BackendHarness, ContractNeed } from './BackendHarness.js';
import { netAdoptable, netRawPeer } from './netRawPeer.js';
import { realTimeClock } from './realTimeClock.js';

/** What differs between backends over real sockets. */
export interface RealSocketsBackend {
  /** The suite's name for it. */
  readonly name: string;
  /** A fresh backend for one case. */
  backend(): Backend;
  /** What `features.zeroCopyLeasedReads` its plain TCP transports report. */
  readonly zeroCopyLeasedReads: boolean;
  /** The size of its own receive buffers, where it offers `'provided'` reads. */
  readonly providedBufferSize?: number;
  /** Needs it cannot honour, with the reason. */
  readonly lacks?: Readonly<Partial<Record<ContractNeed, string>>>;
}

/**
 * A harness for any backend over the operating system's sockets (node, uring): real time, TCP on 127.0.0.1
 * port 0, Unix sockets in a fresh temporary folder, plain `node:net` sockets as raw peers and as sockets to
 * adopt.
 */
export function realSocketsHarness(spec: RealSocketsBackend): BackendHarness {
  return {
    name: spec.name,
    zeroCopyLeasedReads: spec.zeroCopyLeasedReads,
    providedBufferSize: spec.providedBufferSize,
    lacks: spec.lacks,
    start() {
      let dir: string | undefined;
      let paths = 0;
      const lacks = spec.lacks ?? {};
      return {
        backend: spec.backend(),
        clock: realTimeClock,
        unixPath: lacks.unix === undefined
          ? () => join((dir ??= mkdtempSync(join(tmpdir(), 'rxloop-contract-'))), `${paths++}.sock`)
          : undefined,
        rawPeer: lacks.rawPeer === undefined ? netRawPeer : undefined,
        adoptable: lacks.adopt === undefined ? netAdoptable : undefined,
        stop: () => {
          if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
