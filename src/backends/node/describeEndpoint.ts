/** The parts of a listen or connect spec that say where. */
interface EndpointSpec {
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
}

/**
 * Describes where a listen or connect spec points, for error messages: the Unix path, or `host:port` with an IPv6
 * host in brackets.
 *
 * ## Example
 * ```ts
 * import { nodeBackend } from 'rxloop';
 *
 * nodeBackend().connect({ port: 1, host: '::1' }, {
 *   connected: (transport) => transport.close(),
 *   failed: (error) => console.log(error.message), // 'connect to [::1]:1 failed: …'
 * });
 * ```
 *
 * @internal
 * @param spec the host, port and path asked for
 * @param defaultHost the host Node uses when none is given
 * @returns a short description such as `127.0.0.1:6379` or `/tmp/app.sock`
 */
export function describeEndpoint(spec: EndpointSpec, defaultHost: string): string {
  if (spec.path !== undefined) return spec.path;
  const host = spec.host ?? defaultHost;
  return `${host.includes(':') ? `[${host}]` : host}:${String(spec.port)}`;
}
