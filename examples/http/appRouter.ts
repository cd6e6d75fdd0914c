import { HttpPreparedResponse } from './HttpPreparedResponse.js';
import { HttpRouter } from './HttpRouter.js';

/**
 * The example server's routes: `GET /` answers `hello` (text/plain, prepared once, so each answer is one copy),
 * `GET /json` serialises `{"message":"Hello, World!"}` per request (the TechEmpower JSON rule), and
 * `POST /echo` answers the request body.
 *
 * ## Example
 * ```ts
 * import { appRouter } from './appRouter.js';
 * import { HttpSession } from './HttpSession.js';
 *
 * const session = new HttpSession(appRouter().handle);
 * const bytes = session.receive(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
 * ```
 *
 * @returns a new router with the three routes
 */
export function appRouter(): HttpRouter {
  const hello = new HttpPreparedResponse(200, 'text/plain', 'hello');
  return new HttpRouter()
    .on('GET', '/', (_request, response) => response.sendPrepared(hello))
    .on('GET', '/json', (_request, response) => {
      response.send(200, 'application/json', JSON.stringify({ message: 'Hello, World!' }));
    })
    .on('POST', '/echo', (request, response) => response.send(200, 'application/octet-stream', request.body));
}
