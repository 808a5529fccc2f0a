/**
 * An echo client: sends a few lines to an echo server, prints each line
 * that comes back, and disconnects once all have. A LineReceiver on the
 * client side, a ClientFactory that hears how the connection ended, and
 * `react` to run it all and exit.
 *
 * Usage: `deno run -A packages/examples/echo_client.ts [host port] [line...]`.
 * With no host and port it starts an echo server (echo_server.ts) in this
 * same process, on a free port, so it works on its own.
 *
 * @module
 */
import process from "node:process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Deferred, type Failure } from "@twixt/defer";
import {
  ClientFactory,
  ConnectionDone,
  connectTCP,
  type IConnector,
  type IReactor,
  LineReceiver,
  reactor as globalReactor,
} from "@twixt/reactor";
import { react } from "@twixt/reactor/task";
import { startEchoServer } from "./echo_server.ts";

/** Sends its factory's lines, and hangs up when each has come back. */
export class EchoClient extends LineReceiver {
  declare factory: EchoClientFactory;
  #expected: string[] = [];

  override connectionMade(): void {
    this.#expected = [...this.factory.lines];
    for (const line of this.factory.lines) this.sendLine(line);
  }

  override lineReceived(line: string): void {
    console.log(`Server said: ${line}`);
    if (line === this.#expected[0]) this.#expected.shift();
    if (this.#expected.length === 0) this.transport.loseConnection();
  }
}

/** Builds the client and fires `done` when the connection ends. */
export class EchoClientFactory extends ClientFactory<EchoClient> {
  override protocol: typeof EchoClient = EchoClient;
  /** Fires when the connection is closed cleanly; fails otherwise. */
  readonly done: Deferred<void> = new Deferred<void>();

  constructor(readonly lines: string[]) {
    super();
  }

  override clientConnectionFailed(
    _connector: IConnector,
    reason: Failure,
  ): void {
    this.done.errback(reason);
  }

  override clientConnectionLost(_connector: IConnector, reason: Failure): void {
    if (reason.check(ConnectionDone)) this.done.callback(undefined);
    else this.done.errback(reason);
  }
}

/**
 * The program: echo `lines` through the server at `host`:`port`, or
 * through an echo server started here when no host is given.
 */
export function main(
  reactor: IReactor = globalReactor,
  host?: string,
  port?: string,
  ...lines: string[]
): Deferred<void> {
  const said = lines.length
    ? lines
    : ["Hello, echo!", "Ünïcödé travels intact", "Goodbye."];
  const echo = (h: string, p: number): Deferred<void> => {
    const factory = new EchoClientFactory(said);
    connectTCP(reactor, h, p, factory).addErrback(() => {}); // reported through done
    return factory.done;
  };
  if (host !== undefined && port !== undefined) return echo(host, Number(port));
  return startEchoServer(reactor).addCallback((listening) =>
    echo("127.0.0.1", listening.getHost().port)
      .addBoth((result) => listening.stopListening().addCallback(() => result))
  );
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined &&
    resolve(process.argv[1]) === fileURLToPath(import.meta.url));

if (isMain) react(main, process.argv.slice(2));
