import { ErrorCode, RxloopError } from '../../src/errors.js';
import type { HttpHandler } from './HttpHandler.js';
import { HttpPreparedResponse } from './HttpPreparedResponse.js';

interface PathRoutes {
  readonly handlers: Map<string, HttpHandler>;
  // GET is the hot path; a field saves the second map lookup.
  get: HttpHandler | undefined;
  notAllowed: HttpPreparedResponse;
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Routes by exact path, then by method. An unknown path gets 404, a known path with another method gets 405
 * with `Allow`; HEAD falls back to the GET handler (the writer drops the body). Both are ordinary keep-alive
 * responses: the request was well framed, so the connection stays usable.
 *
 * ## Example
 * ```ts
 * import { HttpRouter } from './HttpRouter.js';
 * import { HttpSession } from './HttpSession.js';
 *
 * const router = new HttpRouter()
 *   .on('GET', '/', (_request, response) => response.send(200, 'text/plain', 'hello'))
 *   .on('POST', '/echo', (request, response) => response.send(200, 'application/octet-stream', request.body));
 * const session = new HttpSession(router.handle);
 * ```
 */
export class HttpRouter {
  private readonly paths = new Map<string, PathRoutes>();
  private readonly notFound = new HttpPreparedResponse(404, 'text/plain', 'Not Found');

  /**
   * Adds a route.
   *
   * @param method the method, case-sensitive (`'GET'`)
   * @param path the exact path, starting with `/`, without query
   * @param handler what answers it
   * @returns this router, for chaining
   */
  on(method: string, path: string, handler: HttpHandler): this {
    if (!TOKEN_RE.test(method)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a method made of token characters, got ${JSON.stringify(method)}`);
    }
    if (!path.startsWith('/') || /[\s?#]/.test(path)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected a path starting with "/" without spaces, "?" or "#", got ${JSON.stringify(path)}`);
    }
    let routes = this.paths.get(path);
    if (routes === undefined) {
      routes = { handlers: new Map(), get: undefined, notAllowed: this.notFound };
      this.paths.set(path, routes);
    }
    if (routes.handlers.has(method)) {
      throw new RxloopError(ErrorCode.INVALID_ARGUMENT, `expected one handler for ${method} ${path}, got a second`);
    }
    routes.handlers.set(method, handler);
    if (method === 'GET') routes.get = handler;
    const allowed = [...routes.handlers.keys()];
    if (routes.get !== undefined && !routes.handlers.has('HEAD')) allowed.push('HEAD');
    routes.notAllowed = new HttpPreparedResponse(405, 'text/plain', 'Method Not Allowed', [['Allow', allowed.join(', ')]]);
    return this;
  }

  /**
   * Dispatches one request; pass it to {@link HttpSession} as the handler (it is bound).
   *
   * @param request the request
   * @param response where the response goes
   */
  readonly handle: HttpHandler = (request, response) => {
    const routes = this.paths.get(request.path);
    if (routes === undefined) {
      response.sendPrepared(this.notFound);
      return;
    }
    const method = request.method;
    const handler =
      method === 'GET' ? routes.get : (routes.handlers.get(method) ?? (method === 'HEAD' ? routes.get : undefined));
    if (handler === undefined) response.sendPrepared(routes.notAllowed);
    else handler(request, response);
  };
}
