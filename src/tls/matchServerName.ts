/**
 * Finds the entry for the server name a TLS client asked for (SNI): the exact name first, then a wildcard for
 * its first label (`*.example.com` for `a.example.com`; a wildcard never matches `example.com` itself nor
 * `a.b.example.com`, as RFC 6125 has it). Names are compared case-insensitively; the map's keys are lower case.
 *
 * ## Example
 * ```text
 * names: { '*.example.com' -> wildcard, 'api.example.com' -> api }
 * 'API.example.com' -> api       (exact names win; case does not matter)
 * 'www.example.com' -> wildcard
 * 'a.b.example.com' -> undefined (the default certificate)
 * 'example.com'     -> undefined
 * ```
 *
 * @internal
 * @param names the entries by lower-case name (`api.example.com`, `*.example.com`)
 * @param servername what the client sent
 * @returns the entry, or `undefined` when no name matches
 */
export function matchServerName<T>(names: ReadonlyMap<string, T>, servername: string): T | undefined {
  if (names.size === 0) return undefined;
  const name = servername.toLowerCase().replace(/\.$/, '');
  const exact = names.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? names.get(`*${name.slice(dot)}`) : undefined;
}

const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const serverName = new RegExp(`^(?:\\*\\.)?${label}(?:\\.${label})*$`, 'i');

/**
 * What is wrong with a server name given for SNI, or `undefined` when it is a host name, optionally with a
 * leading `*.` wildcard label.
 *
 * @internal
 */
export function serverNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && name.length <= 253 && serverName.test(name) && name !== '*') {
    if (!name.startsWith('*.') || name.indexOf('.', 2) > 0) return undefined;
    return `expected a wildcard over a domain of two labels or more (*.example.com), got ${JSON.stringify(name)}`;
  }
  return `expected a host name (api.example.com) or a wildcard (*.example.com), got ${JSON.stringify(name)}`;
}
