/**
 * rxloop: reactor and proactor sockets as RxJS streams. This entry point holds the socket factories (`listen`,
 * `connect`, `bind`), the connections and datagram sockets they emit, the errors, and the backends.
 *
 * @module rxloop
 */

// Socket factories
export { listen } from './listen.js';
export type { ListenOptions, ListeningServer } from './listen.js';
export { connect } from './connect.js';
export type { ConnectOptions } from './connect.js';
export { bind } from './bind.js';
export type { BindOptions } from './bind.js';

// Connections and datagram sockets
export { Connection } from './Connection.js';
export type { ConnectionClosed } from './ConnectionClosed.js';
export type { ConnectionOptions, OutputLimit } from './ConnectionOptions.js';
export type { DemandState } from './DemandState.js';
export { DatagramSocket } from './DatagramSocket.js';
export type { Datagram } from './DatagramSocket.js';

// Errors
export { ErrorCode, RxloopError } from './errors.js';
export type { RxloopErrorOptions } from './errors.js';

// Backends
export { defaultBackend } from './backends/defaultBackend.js';
export { selectBackend } from './backends/selectBackend.js';
export type { BackendChoice } from './backends/selectBackend.js';
export { nodeBackend } from './backends/node/nodeBackend.js';
export type { NodeBackend, NodeBackendOptions } from './backends/node/nodeBackend.js';
export { nodeFeatures } from './backends/node/nodeFeatures.js';
export type { NodeFeatures } from './backends/node/nodeFeatures.js';
export { uringSupport } from './backends/uring/uringSupport.js';
export { uringBackend } from './backends/uring/uringBackend.js';
export type { UringBackend, UringBackendOptions } from './backends/uring/uringBackend.js';
export { uringStats } from './backends/uring/UringLoop.js';
export type { UringRingStats } from './backends/uring/UringLoop.js';
export type { UringKernelProbe, UringOp, UringSupport } from './backends/uring/uringSupport.js';
export { embeddedBackend } from './backends/embedded/embedded.js';
export { EmbeddedBackend } from './backends/embedded/EmbeddedBackend.js';
export type { EmbeddedBackendOptions } from './backends/embedded/EmbeddedBackendOptions.js';
export type {
  Acceptor,
  AcceptorSink,
  Backend,
  BindSpec,
  BufferSource,
  ProvidedReads,
  ConnectAttempt,
  ConnectSink,
  ConnectSpec,
  DatagramSink,
  DatagramTransport,
  ListenSpec,
  ReadMode,
  SocketAddress,
  Transport,
  TransportFeatures,
  TransportSink,
} from './backends/Backend.js';

// TLS certificates (SNI, ALPN, reload without restart)
export { CertificateStore, certificateStore } from './tls/certificateStore.js';
export type { CertificateFiles, CertificateInfo, CertificateStoreEvent, CertificateStoreOptions } from './tls/certificateStore.js';
export { handshakeFailureReason } from './tls/handshakeFailureReason.js';
export type { HandshakeFailureReason } from './tls/handshakeFailureReason.js';

// Diagnostics channels (node:diagnostics_channel)
export type { DiagnosticsMessages } from './diagnostics/channels.js';
export type { ReactorMetrics } from './diagnostics/ProcessMetrics.js';
export type { EventLoopMetrics } from './diagnostics/EventLoopMonitor.js';
export type { HistogramSnapshot } from './diagnostics/DurationHistogram.js';

// Handler context (for topologies and operators that need the connection being served)
export type { TaskRef } from './HandlerContext.js';
