/**
 * Tools for testing code built on Twixt, as Twisted's
 * `twisted.internet.testing`, `twisted.test.iosim` and trial's
 * dirty-reactor check:
 *
 * - {@linkcode MemoryReactor} and {@linkcode MemoryReactorClock}: a
 *   reactor without sockets that records `listenTCP` and `connectTCP`, so a
 *   test picks the factories up and completes or fails each connection by
 *   hand; endpoints work on it.
 * - {@linkcode connectedServerAndClient}: a server and a client protocol
 *   joined in memory, with an {@linkcode IOPump} that moves their bytes a
 *   round at a time (optionally in chunks of a chosen size), so a test
 *   sees every intermediate state.
 * - {@linkcode installCleanReactorCheck} and {@linkcode checkCleanReactor}:
 *   fail a test that leaves delayed calls, listening ports, open
 *   connections or unflushed logged failures behind
 *   ({@linkcode DirtyReactorError}, naming where each was created), and
 *   clean them up.
 * - {@linkcode StringTransport}: a transport that only records, for unit
 *   tests of one protocol.
 *
 * Nothing here imports a `node:` module, so the entry point bundles for the
 * browser too.
 *
 * @example Usage
 * ```ts
 * import { LineReceiver } from "@twixt/reactor";
 * import { connectedServerAndClient } from "@twixt/reactor/testing";
 * import assert from "node:assert/strict";
 *
 * class Echo extends LineReceiver {
 *   override lineReceived(line: string): void { this.sendLine(line); }
 * }
 * class Client extends LineReceiver {
 *   lines: string[] = [];
 *   override lineReceived(line: string): void { this.lines.push(line); }
 * }
 * const { client, pump } = connectedServerAndClient(() => new Echo(), () => new Client(), { chunkSize: 1 });
 * client.sendLine("ping");
 * pump.pump(); // the server has the line, and answered
 * assert.deepEqual(client.lines, []);
 * pump.pump(); // the answer arrived, one byte per dataReceived
 * assert.deepEqual(client.lines, ["ping"]);
 * ```
 *
 * @module
 */

export {
  type ConnectedOptions,
  type ConnectedPair,
  connectedServerAndClient,
  type IHalfCloseableProtocol,
  IOPump,
  MemoryTransport,
  type ProtocolSource,
} from "./_iosim.ts";
export {
  MemoryConnector,
  MemoryPort,
  MemoryReactor,
  MemoryReactorClock,
  type TCPClientRecord,
  type TCPServerRecord,
} from "./_memory_reactor.ts";
export {
  type AfterEachRegistrar,
  type CheckableReactor,
  checkCleanReactor,
  DirtyReactorError,
  installCleanReactorCheck,
  type Leftover,
} from "./_clean_reactor.ts";
export { StringTransport } from "./tcp_testing.ts";

// Types this entry's API uses, exported here too so that the entry
// documents (and JSR scores it) on its own.
export type {
  AddCallbacksOptions,
  Deferred,
  ErrorClass,
  ErrorType,
  Failure,
  IDelayedCall,
  IReactorTime,
} from "@twixt/defer";
export type { DelayedCall } from "./delayed_call.ts";
export type {
  ClientFactory,
  Factory,
  Protocol,
  ProtocolClass,
} from "./protocol.ts";
export type {
  IReactorCore,
  SystemEventPhase,
  SystemEventTrigger,
} from "./reactor.ts";
export type { ConnectTCPOptions, ListenTCPOptions } from "./tcp.ts";
export type { IPv4Address, IPv6Address, TCPAddress } from "./tcp_address.ts";
export type {
  IConnector,
  IConsumer,
  IListeningPort,
  IProducer,
  IPullProducer,
  IPushProducer,
  ITransport,
  TCPReactor,
} from "./tcp_interfaces.ts";
