import type { ContractCase } from '../ContractCase.js';
import { acceptorCases } from './acceptorCases.js';
import { adoptCases } from './adoptCases.js';
import { closingCases } from './closingCases.js';
import { providedCases } from './providedCases.js';
import { readingCases } from './readingCases.js';
import { writingCases } from './writingCases.js';

/** Every contract case, in the order the suite runs them. */
export const contractCases: readonly ContractCase[] = [
  ...acceptorCases,
  ...readingCases,
  ...providedCases,
  ...writingCases,
  ...closingCases,
  ...adoptCases,
];
