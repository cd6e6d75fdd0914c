// The bits of `connection.flags`: the state of a connection in one number, because idle connections are many.

/** `pauseReadingOnWriteBacklog` was asked for. @internal */
export const PAUSE_ON_BACKLOG = 1;
/** A write returned `false` and no drain came since. @internal */
export const BACKLOGGED = 2;
/** @internal */
export const BACKLOG_PAUSES = PAUSE_ON_BACKLOG | BACKLOGGED;
/** The transport is told to read. @internal */
export const READING = 4;
/** The input is over (the peer's end, or the connection closed). @internal */
export const INPUT_ENDED = 8;
/** Our output is over (`end`, `close`, `abort`, or the connection closed). @internal */
export const OUTPUT_ENDED = 16;
/** `close` was called. @internal */
export const CLOSING = 32;
/** Inside the sink's delivery of a read to the readers. @internal */
export const DELIVERING = 64;
/** A second write inside a delivery corked the transport until the delivery ends. @internal */
export const DELIVERY_CORKED = 128;
/** The server is stopping: `draining$` has fired, and without a subscriber the input was ended. @internal */
export const DRAINING = 256;
/** This turn's reads and writes went over the reactor's per-turn budget (see `Connection.shouldYield`). @internal */
export const TURN_SPENT = 512;
