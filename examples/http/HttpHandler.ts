import type { HttpRequest } from './HttpRequest.js';
import type { HttpResponseWriter } from './HttpResponseWriter.js';

/**
 * Answers one request: reads `request` and calls `response.send` or `response.sendPrepared` exactly once,
 * synchronously. The request is only valid during the call; a handler that throws, or returns without a
 * response, gets a 500 and the connection closes.
 *
 * ## Example
 * ```ts
 * import type { HttpHandler } from './HttpHandler.js';
 *
 * const hello: HttpHandler = (_request, response) => response.send(200, 'text/plain', 'hello');
 * ```
 */
export type HttpHandler = (request: HttpRequest, response: HttpResponseWriter) => void;
