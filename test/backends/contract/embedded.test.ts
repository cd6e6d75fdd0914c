import { embeddedHarness } from './embeddedHarness.js';
import { randomFragments, seededRandom } from './pattern.js';
import { runContract } from './runContract.js';

runContract(embeddedHarness());
// Every write split into random segments of 1 to 1460 bytes, as a network may: no case may rely on boundaries.
runContract(embeddedHarness('embedded (fragmented)', { fragment: randomFragments(seededRandom(14), 1460) }));
