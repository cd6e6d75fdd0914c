import { nodeHarness } from './nodeHarness.js';
import { runContract } from './runContract.js';

runContract(nodeHarness());
runContract(nodeHarness({ zeroCopyLeasedReads: false }));
