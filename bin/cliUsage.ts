/**
 * The help texts of the `rxloop` command line.
 *
 * @internal
 */
export const cliUsage = {
  root: `Usage: rxloop <command> [options]

Commands:
  serve <example>   run an example server: resp, http, echo or proxy
  bench [args]      run the benchmark suite (from a repository checkout)

Options:
  -h, --help        show this help ('rxloop serve --help' for the server's options)
  --version         print the version

Exit status: 0 on success (and after a graceful stop on SIGINT or SIGTERM), 1 when the server
cannot start or fails, 2 for bad arguments.
`,

  serve: `Usage: rxloop serve <resp|http|echo|proxy> [options]

Examples:
  resp    a Redis-compatible (RESP2) in-memory server         default port 6380
  http    an HTTP/1.1 server                                  default port 8080
  echo    writes back every byte it reads                     default port 7000
  proxy   a TCP proxy to --target, backpressure both ways     default port 7001

Options:
  --host H                   address to listen on (default 127.0.0.1)
  --port P                   port to listen on; 0 picks a free one (printed)
  --scheduler S              single (default) | pooled | multi
  --workers N                worker threads of the pooled reactor (default: cores - 1)
  --reactors N               sub-reactor processes of the multi-reactor (default: cores)
  --accept A                 multi-reactor accepting: acceptor (default) | shared
  --target HOST:PORT         where the proxy forwards (or RXLOOP_PROXY_TARGET)
  --wiretap                  hex-dump the traffic to stderr (as RXLOOP_WIRETAP=1)
  --deadline MS              how long a graceful stop waits for connections (default 5000)
  -h, --help                 show this help

Signals: SIGINT or SIGTERM stops gracefully (a second one exits at once); SIGUSR2 prints stats.

  rxloop serve resp --port 6380
  rxloop serve echo --scheduler multi --reactors 4 --accept shared
  rxloop serve proxy --port 7001 --target 127.0.0.1:6380 --wiretap
`,
} as const;
