// An rxloop server under test: serves a handler module with serve() on the topology named on the command line.
//   node dist/bench/servers/serveHandler.js --handler <module path> --scheduler single|pooled|multi
//        [--workers N] [--reactors N] [--accept acceptor|shared] [--threads] [--backend node|uring|auto]
// Prints {"ready":true,"port":N}; answers `mem` and `connections` on stdin; stops on SIGTERM.
import { firstValueFrom } from 'rxjs';
import { multiReactor } from '../../schedulers/multiReactor.js';
import { pooledReactor } from '../../schedulers/pooledReactor.js';
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';
import type { Topology } from '../../schedulers/Topology.js';
import { childControl } from './childControl.js';

function topology(): Topology {
  const kind = childControl.arg('scheduler', 'single');
  const workers = process.argv.includes('--workers') ? Number(childControl.arg('workers')) : undefined;
  const reactors = process.argv.includes('--reactors') ? Number(childControl.arg('reactors')) : undefined;
  if (kind === 'single') return singleReactor();
  if (kind === 'pooled') return pooledReactor(workers === undefined ? {} : { workers });
  if (kind === 'multi') {
    const accept = childControl.arg('accept', 'acceptor') as 'acceptor' | 'shared';
    const threads = process.argv.includes('--threads');
    return multiReactor(reactors === undefined ? { accept, threads } : { reactors, accept, threads });
  }
  throw new Error(`unknown scheduler ${kind}`);
}

const server = await serve(childControl.arg('handler'), {
  host: '127.0.0.1',
  port: Number(childControl.arg('port', '0')),
  backlog: 4096,
  scheduler: topology(),
  backend: childControl.arg('backend', 'node') as 'node' | 'uring' | 'auto',
  statsInterval: 100,
});
const address = server.address;
childControl.send({ ready: true, port: address.kind === 'inet' ? address.port : 0 });
childControl.commands({
  connections: async () => {
    const stats = await firstValueFrom(server.stats$);
    return { connections: stats.reactors.reduce((sum, reactor) => sum + reactor.connections, 0) };
  },
});
childControl.onStop(() => server.stop({ deadline: 0 }));
