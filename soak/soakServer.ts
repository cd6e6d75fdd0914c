// The server side of `npm run soak`: the RESP example on one reactor, printing its port and then one sample a
// second (resident memory, active handles, open connections) as JSON lines on stdout.
import { serve, singleReactor } from '../schedulers/index.js';

const server = await serve(new URL('../examples/resp/handler.js', import.meta.url), {
  host: '127.0.0.1',
  port: 0,
  scheduler: singleReactor(),
  statsInterval: 1000,
});
console.log(JSON.stringify({ port: server.address.kind === 'inet' ? server.address.port : 0 }));
server.stats$.subscribe((stats) => {
  const reactor = stats.reactors[0]!;
  console.log(JSON.stringify({
    at: stats.at,
    rss: process.memoryUsage().rss,
    handles: process.getActiveResourcesInfo().length,
    connections: reactor.connections,
    bytesIn: reactor.bytesIn,
  }));
});
process.on('SIGTERM', () => void server.stop({ deadline: 2000 }).then(() => process.exit(0)));
