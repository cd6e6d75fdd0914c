/**
 * The RESP example's handler without its keyspace service: served by `multiReactor({ threads: true })`, every
 * sub-reactor thread runs its connections' sessions on a keyspace of its own (the thread's `processState`), so
 * a command never leaves the thread that read it. That is not a correct server (a key written through one thread
 * is not seen through another), and the bench says so in its label: it is the floor of the thread topology's cost,
 * what two sub-reactor threads beside an acceptor cost on this machine with no keyspace hop at all. The gap between
 * it and the real threads row is what the hop to the one keyspace costs; the gap between it and the single reactor
 * is what the topology costs whatever the keyspace design (see docs/examples.md, "The keyspace under threads").
 *
 * The module re-exports the handler and not its `service` export: with no service, `multiReactorService()` is
 * undefined in the sub-reactors, and the handler takes its one-process path.
 *
 * @internal
 */
export { default } from '../../examples/resp/handler.js';
