// Runs the example HTTP/1.1 server for manual use:
//   node dist/examples/http/main.js [port] [host]      (or PORT=8080 HOST=0.0.0.0 node dist/examples/http/main.js)
// Defaults: port 8080 on 127.0.0.1. SIGINT or SIGTERM stops it gracefully (a second signal exits at once).
// The timeouts come from RXLOOP_HTTP_HEADER_TIMEOUT / RXLOOP_HTTP_IDLE_TIMEOUT (ms); see handler.ts.
import { serve } from '../../schedulers/serve.js';
import { singleReactor } from '../../schedulers/singleReactor.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const host = process.argv[3] ?? process.env.HOST ?? '127.0.0.1';

const server = await serve(new URL('./handler.js', import.meta.url), { host, port, scheduler: singleReactor() });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.log(`${signal}: stopping`);
    // Keep-alive clients get up to the deadline to finish; a second signal does not wait.
    process.once(signal, () => process.exit(1));
    void server.stop({ deadline: 5000 }).then(() => console.log('stopped'));
  });
}

// Printed last: whoever waits for this line may signal at once.
const address = server.address;
console.log(address.kind === 'inet' ? `listening on http://${address.address}:${address.port}/` : `listening on ${address.path}`);
