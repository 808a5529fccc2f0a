/**
 * An echo server: whatever a client sends comes straight back. The
 * smallest Protocol there is, and a Factory that makes one per connection.
 *
 * Usage: `deno run -A packages/examples/echo_server.ts [port]` listens on
 * 127.0.0.1 (port 8000 by default, 0 for a free one) until interrupted
 * (Ctrl-C stops the reactor, which closes the port and its connections).
 * Try it with `echo_client.ts 127.0.0.1 PORT`.
 *
 * @module
 */
import process from "node:process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deferred } from "@twixt/defer";
import {
  Factory,
  type IListeningPort,
  type IReactor,
  listenTCP,
  Protocol,
  reactor as globalReactor,
} from "@twixt/reactor";

/** Sends back every byte it receives. */
export class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport.write(data);
  }
}

/** Starts an echo server on 127.0.0.1, port `port` (0 for a free one). */
export function startEchoServer(
  reactor: IReactor = globalReactor,
  port = 0,
): Deferred<IListeningPort> {
  return listenTCP(reactor, port, Factory.forProtocol(Echo), {
    interface: "127.0.0.1",
  });
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined &&
    resolve(process.argv[1]) === fileURLToPath(import.meta.url));

if (isMain) {
  startEchoServer(globalReactor, Number(process.argv[2] ?? 8000)).addCallbacks(
    (port) =>
      console.log(`Echo server listening on 127.0.0.1:${port.getHost().port}`),
    (failure) => {
      console.error(failure.getErrorMessage());
      process.exitCode = 1;
      globalReactor.stop();
    },
  );
  globalReactor.run().then(() => console.log("Echo server stopped"));
}
