import { suite } from 'uvu';
import type { BackendHarness, ContractNeed, HarnessRun } from './BackendHarness.js';
import type { ContractCase } from './ContractCase.js';
import { ContractWorld } from './ContractWorld.js';
import { contractCases } from './cases/contractCases.js';

/** Whether `run` offers the helper behind `need`. */
function offers(run: HarnessRun, need: ContractNeed): boolean {
  switch (need) {
    case 'unix':
      return run.unixPath !== undefined;
    case 'rawPeer':
      return run.rawPeer !== undefined;
    case 'adopt':
      return run.backend.adopt !== undefined && run.adoptable !== undefined;
  }
}

/**
 * Runs every contract case against the backend `harness` describes, as one uvu suite. A case that needs what the
 * harness declares lacking is reported (printed, and kept as a test that checks the declaration still holds),
 * never skipped silently; a need the harness neither offers nor declares fails the case.
 *
 * @param harness the backend under test
 * @param cases the cases (default: all of them)
 */
export function runContract(harness: BackendHarness, cases: readonly ContractCase[] = contractCases): void {
  const contract = suite(`backend contract: ${harness.name}`);
  const notRun: string[] = [];
  for (const contractCase of cases) {
    const needs = contractCase.needs ?? [];
    const lacking = needs.filter((need) => harness.lacks?.[need] !== undefined);
    if (lacking.length > 0) {
      const reason = lacking.map((need) => `${need}: ${harness.lacks![need]}`).join('; ');
      notRun.push(`  - ${contractCase.name} (lacks ${reason})`);
      contract(`${contractCase.name} [not run: lacks ${reason}]`, () => {
        const run = harness.start();
        try {
          for (const need of lacking) {
            if (offers(run, need)) throw new Error(`${harness.name} declares it lacks ${need}, but its harness offers it`);
          }
        } finally {
          run.stop();
        }
      });
      continue;
    }
    contract(contractCase.name, async () => {
      const world = new ContractWorld(harness, harness.start());
      let passed = false;
      try {
        for (const need of needs) {
          if (!offers(world.run, need)) {
            throw new Error(`the ${harness.name} harness offers no ${need} and does not declare it in lacks`);
          }
        }
        await contractCase.run(world);
        passed = true;
      } finally {
        // A failing case keeps its own error; a passing one must also leave every sink clean.
        world.finish(passed);
      }
    });
  }
  if (notRun.length > 0) {
    console.log(`backend contract: ${harness.name} does not run ${notRun.length} case(s):\n${notRun.join('\n')}`);
  }
  contract.run();
}
