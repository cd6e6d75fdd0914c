/**
 * The help texts of the `rxloop` command line.
 *
 * @internal
 */
export const cliUsage = {
  root: `Usage: rxloop <command> [options]

Commands:
  serve <example>   run an example server: resp, http, echo or proxy
  serve <module>    run your own handler module (a path: ./dist/handler.js)
  bench [args]      run the benchmark suite (from a repository checkout)

Options:
  -h, --help        show this help ('rxloop serve --help' for the server's options)
  --version         print the version

Exit status: 0 on success (and after a graceful stop on SIGINT or SIGTERM), 1 when the server
cannot start or fails, 2 for bad arguments.
`,

  serve: `Usage: rxloop serve <resp|http|echo|proxy|./path/to/handler.js> [options]

Examples:
  resp    a Redis-compatible (RESP2) in-memory server         default port 6380
  http    an HTTP/1.1 server                                  default port 8080
  echo    writes back every byte it reads                     default port 7000
  proxy   a TCP proxy to --target, backpressure both ways     default port 7001
  a path  your handler module (its default export)            default port 7000

Options:
  --host H                   address to listen on (default 127.0.0.1)
  --port P                   port to listen on; 0 picks a free one (printed)
  --scheduler S              single (default) | pooled | multi
  --workers N                worker threads of the pooled reactor (default: cores - 1)
  --reactors N               sub-reactors of the multi-reactor (default: cores)
  --accept A                 multi-reactor accepting: acceptor (default) | shared
  --threads                  sub-reactors as worker threads, not processes (acceptor: Node 24.20+; shared: 22.12+)
  --target HOST:PORT         where the proxy forwards (or RXLOOP_PROXY_TARGET)
  --send-proxy-v2            the proxy starts each target connection with a PROXY v2 header naming
                             the client (as HAProxy's send-proxy-v2), for a target run with --proxy-protocol
  --wiretap                  hex-dump the traffic to stderr (as RXLOOP_WIRETAP=1)
  --deadline MS              how long a graceful stop waits for connections (default 5000)
  --proxy-protocol           every connection starts with a PROXY protocol header (v1 or v2, as
                             HAProxy's send-proxy-v2 sends): the client's address replaces the balancer's
  --proxy-trusted LIST       balancers allowed to send one, comma-separated addresses or CIDR ranges
                             (default: any); connections from elsewhere are closed
  --backend NAME             node (libuv), uring (io_uring, Linux) or auto (default: uring where
                             io_uring runs, node elsewhere); TLS and UDP stay on node under uring
  --admin HOST:PORT          serve /metrics (Prometheus), /healthz, /readyz and a live dashboard at /
  --drain-delay MS           on SIGINT/SIGTERM, fail /readyz for this long before the server stops
                             accepting, so balancers move away first (default 0)
  --tls-cert FILE            serve TLS with this certificate chain (PEM; reloaded on change or SIGHUP)
  --tls-key FILE             ... and this private key (PEM)
  --tls-sni NAME=CERT,KEY    a certificate for clients that ask for NAME (repeatable; *.example.com too)
  --alpn LIST                ALPN protocols offered, comma-separated (e.g. http/1.1)
  --tls-handshake-timeout MS a handshake not done by then costs its connection (default 10000)
  -h, --help                 show this help

Signals: SIGINT or SIGTERM stops gracefully: /readyz fails, then (after --drain-delay) accepting
stops, open connections are drained, and what is left at --deadline is reset; a second signal
exits at once. SIGHUP reloads the TLS certificates; SIGUSR2 prints stats.

  rxloop serve resp --port 6380
  rxloop serve ./dist/handler.js --port 9000 --scheduler multi
  rxloop serve echo --scheduler multi --reactors 4 --accept shared
  rxloop serve proxy --port 7001 --target 127.0.0.1:6380 --wiretap
  rxloop serve proxy --port 7001 --target 127.0.0.1:6380 --send-proxy-v2
  rxloop serve http --host 0.0.0.0 --port 8080 --admin 127.0.0.1:9090 --drain-delay 2000
  rxloop serve http --port 8443 --tls-cert cert.pem --tls-key key.pem --alpn http/1.1
`,
} as const;
