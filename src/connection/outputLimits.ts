import type { ConnectionOptions, OutputLimit } from '../ConnectionOptions.js';
import { RxloopError } from '../errors.js';
import { invalid } from '../validate.js';

/** An output limit with its defaults applied, shared by every connection made with the same options. @internal */
export interface OutputLimits {
  readonly hard: number;
  readonly soft: number;
  readonly softMs: number;
}

const DEFAULT: OutputLimits = Object.freeze({ hard: 64 * 1024 * 1024, soft: 16 * 1024 * 1024, softMs: 30_000 });
const settled = new WeakMap<OutputLimit, OutputLimits>();

/**
 * The output limits `options` ask for (`undefined`: none), validated. One object per options object, so that a
 * server's connections share it instead of each holding its own.
 *
 * @internal
 * @throws RxloopError `ERR_INVALID_ARGUMENT` for a limit that is not a number >= 0
 */
export function outputLimitsOf(options: ConnectionOptions): OutputLimits | undefined {
  const limit = options.outputLimit;
  if (limit === false) return undefined;
  if (limit === undefined) return DEFAULT;
  if (typeof limit !== 'object' || limit === null) throw invalid('outputLimit', 'an object or false', limit);
  let limits = settled.get(limit);
  if (limits === undefined) {
    limits = Object.freeze({
      hard: checked('outputLimit.hard', limit.hard, DEFAULT.hard),
      soft: checked('outputLimit.soft', limit.soft, DEFAULT.soft),
      softMs: checked('outputLimit.softSeconds', limit.softSeconds, DEFAULT.softMs / 1000) * 1000,
    });
    settled.set(limit, limits);
  }
  return limits;
}

/** The problem with `options.outputLimit`, for the factories' argument checks. @internal */
export function outputLimitProblem(options: ConnectionOptions): RxloopError | undefined {
  try {
    outputLimitsOf(options);
    return undefined;
  } catch (error) {
    return error as RxloopError;
  }
}

function checked(what: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0)) throw invalid(what, 'a number >= 0', value);
  return value;
}
