// Real clients for the HTTP server tests: raw sockets, Node's http client, and the curl and wrk programs.
import { execFile, spawnSync } from 'node:child_process';
import { request, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';

/** Sockets opened by these helpers; tests destroy them in `after`. */
export const openSockets = new Set<Socket>();

/**
 * Fails (never skips) when a client program the tests drive is missing, saying how to install it.
 *
 * @param program the command, `curl` or `wrk`
 * @param debianPackage the package that provides it
 */
export function requireProgram(program: string, debianPackage: string): void {
  const probe = spawnSync(program, ['--version'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      `the HTTP server tests drive '${program}', which is not installed: run 'apt-get install -y ${debianPackage}' ` +
        '(.ci/run installs it when missing)',
    );
  }
}

/** Runs `curl` or `wrk` to its end and resolves with its output (a non-zero exit or a missing program rejects). */
export function runProgram(program: 'curl' | 'wrk', args: readonly string[], timeout = 15_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    requireProgram(program, program);
    execFile(program, args, { timeout, encoding: 'latin1', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${program} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** A raw TCP client that records everything it receives. */
export interface RawClient {
  readonly socket: Socket;
  /** Everything received so far, as latin1. */
  received(): string;
  /** Resolves once what was received passes `check` (rejects when the socket ends first, or after 5 s). */
  waitUntil(check: (received: string) => boolean, what: string): Promise<string>;
  /** Resolves with everything received once the server has ended its output (rejects after 5 s). */
  readonly ended: Promise<string>;
}

/** Opens a raw TCP connection to 127.0.0.1:`port`. */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port });
  openSockets.add(socket);
  // Writing after the server has closed is part of some tests (a slowloris keeps dripping): ignore EPIPE.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let isEnded = false;
  const waiters: (() => void)[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not end the connection within 5 s; got ${JSON.stringify(text)}`)), 5000);
    socket.once('end', () => {
      isEnded = true;
      clearTimeout(timer);
      for (const wake of waiters.splice(0)) wake();
      resolve(text);
    });
  });
  ended.catch(() => undefined);
  const waitUntil = (passes: (received: string) => boolean, what: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${what} within 5 s, got ${JSON.stringify(text)}`)), 5000);
      const check = (): void => {
        if (passes(text)) {
          clearTimeout(timer);
          resolve(text);
        } else if (isEnded) {
          clearTimeout(timer);
          reject(new Error(`expected ${what} before the end, got ${JSON.stringify(text)}`));
        } else waiters.push(check);
      };
      check();
    });
  return { socket, received: () => text, waitUntil, ended };
}

/** One response parsed from raw bytes. */
export interface RawResponse {
  readonly statusLine: string;
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: ReadonlyMap<string, string>;
  /** The header lines as sent, in order, without the status line. */
  readonly headerLines: readonly string[];
  readonly body: string;
}

/**
 * Splits a stream of Content-Length responses (what this server sends) into responses.
 *
 * @param text the received bytes, latin1
 * @param headIndexes the positions of responses to HEAD requests (they carry no body)
 */
export function parseResponses(text: string, headIndexes: ReadonlySet<number> = new Set()): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', at);
    if (headEnd === -1) throw new Error(`an incomplete response head at byte ${at}: ${JSON.stringify(text.slice(at))}`);
    const [statusLine = '', ...headerLines] = text.slice(at, headEnd).split('\r\n');
    const headers = new Map(headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as [string, string];
    }));
    const length = headIndexes.has(responses.length) ? 0 : Number(headers.get('content-length') ?? 0);
    const body = text.slice(headEnd + 4, headEnd + 4 + length);
    responses.push({ statusLine, status: Number(statusLine.split(' ')[1]), headers, headerLines, body });
    at = headEnd + 4 + length;
  }
  return responses;
}

/** What Node's http client got for one request. */
export interface NodeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** Whether the request went out on a kept-alive socket. */
  readonly reusedSocket: boolean;
}

/**
 * Sends one request with Node's http client.
 *
 * @param agent the (keep-alive) agent
 * @param port the server's port on 127.0.0.1
 * @param method the method
 * @param path the path
 * @param bodyParts written one by one with no Content-Length, so Node sends them chunked
 */
export function nodeRequest(agent: Agent, port: number, method: string, path: string, bodyParts: readonly string[] = []): Promise<NodeResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reusedSocket: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const part of bodyParts) req.write(part);
    req.end();
  });
}

/** Resolves after `ms` milliseconds. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
