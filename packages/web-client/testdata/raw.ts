/**
 * A raw TCP server for tests that need bytes node:http will not send
 * (malformed heads, bad lengths, resets) or that count what reached the
 * machine at all: every connection is counted, its request head recorded,
 * and its close seen.
 *
 * @module
 */

import { createServer, type Socket } from "node:net";

/** A running raw server. */
export interface RawServer {
  /** `http://127.0.0.1:<port>/`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Request heads received (up to the blank line), in order. */
  heads: string[];
  /** Resolves once every connection accepted so far has closed (fails after 10 s). */
  allClosed(): Promise<void>;
  /** Stops the server and destroys every connection. */
  close(): Promise<void>;
}

/**
 * Starts a raw server on 127.0.0.1, port 0. `answer` is called once per
 * connection with the socket and the request head as soon as it is in, or
 * with the first bytes if they are not text (the default answers `200 ok`
 * and closes).
 */
export async function rawHTTP(
  answer: (socket: Socket, head: string) => void = (socket) => {
    socket.end(
      "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
    );
  },
): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const heads: string[] = [];
  let connections = 0;
  let waiting: Array<() => void> = [];
  const settle = (): void => {
    if (sockets.size > 0) return;
    for (const fn of waiting) fn();
    waiting = [];
  };
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      settle();
    });
    let text = "";
    const onData = (chunk: Uint8Array): void => {
      text += new TextDecoder("latin1").decode(chunk);
      const end = text.indexOf("\r\n\r\n");
      // Not HTTP (a TLS hello, say): answered at once, not waited for.
      const binary = /[^\t\n\r\x20-\x7e]/.test(text);
      if (end < 0 && text.length < 65536 && !binary) return;
      socket.off("data", onData);
      const head = end < 0 ? text : text.slice(0, end);
      heads.push(head);
      answer(socket, head);
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    get connections() {
      return connections;
    },
    heads,
    allClosed: () =>
      sockets.size === 0
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
          const guard = setTimeout(
            () =>
              reject(new Error(`${sockets.size} connection(s) never closed`)),
            10_000,
          );
          waiting.push(() => {
            clearTimeout(guard);
            resolve();
          });
        }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
