/**
 * rxloop/operators: the stages protocol pipelines are built from: completion reads into leased buffers,
 * bounded decoders, encoders, writing with backpressure, offloading, timeouts and wire dumps.
 *
 * @module rxloop/operators
 */

// Serving connections: one handler per connection, errors contained to it
export { handle } from './handle.js';
export type { HandleEvent, HandleOptions, Handler } from './handle.js';

// Completion reads into leased buffers
export { proactor } from './proactor.js';
export type { ProactorOptions } from './proactor.js';
export { Lease } from './Lease.js';
export { LeasePool } from './LeasePool.js';
export type { LeasePoolOptions } from './LeasePool.js';

// Decoders (bounded by default)
export { lines } from './lines.js';
export type { LinesOptions } from './lines.js';
export { delimited } from './delimited.js';
export type { DelimitedOptions } from './delimited.js';
export { lengthPrefixed } from './lengthPrefixed.js';
export type { LengthPrefixedOptions } from './lengthPrefixed.js';
export { fixedLength } from './fixedLength.js';
export type { DecoderOptions } from './DecoderOptions.js';
export type { LengthFieldOptions } from './LengthField.js';
export { decodeUtf8 } from './decodeUtf8.js';
export type { DecodeUtf8Options } from './decodeUtf8.js';

// Encoders
export { encodeLines, encodeLine } from './encodeLines.js';
export type { EncodeLinesOptions } from './encodeLines.js';
export { encodeDelimited, encodeDelimitedFrame } from './encodeDelimited.js';
export { encodeLengthPrefixed, encodeLengthPrefixedFrame } from './encodeLengthPrefixed.js';

// Property testing of decoders
export { checkDecoder } from './checkDecoder.js';
export type { CheckDecoderOptions, CheckDecoderReport } from './checkDecoder.js';

// Writing, demand and processing stages
export { sendTo } from './sendTo.js';
export type { SendToCompletion, SendToOptions } from './sendTo.js';
export { pacedBy } from './pacedBy.js';
export type { PacedByOptions } from './pacedBy.js';
export { pull } from './pull.js';
export type { PullOptions, PullSource } from './pull.js';
export { boundedConcatMap } from './boundedConcatMap.js';
export type { BoundedConcatMapOptions } from './boundedConcatMap.js';
export { offload } from './offload.js';
export type { OffloadOptions } from './offload.js';

// Time
export { readTimeout } from './readTimeout.js';
export type { ReadTimeoutOptions } from './readTimeout.js';
export { idleTimeout } from './idleTimeout.js';
export type { IdleTimeoutOptions } from './idleTimeout.js';

// Observation
export { wiretap } from './wiretap.js';
export type { WiretapOptions } from './wiretap.js';

// PROXY protocol (behind a balancer)
export { proxyProtocol } from './proxyProtocol.js';
export { readProxyHeader } from './readProxyHeader.js';
export type { ProxyProtocolOptions } from './readProxyHeader.js';
export { ProxyHeaderDecoder } from './ProxyHeaderDecoder.js';
export type { ProxyHeader, ProxyHeaderTlv } from './ProxyHeader.js';
export { encodeProxyHeader } from './encodeProxyHeader.js';
