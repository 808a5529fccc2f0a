/**
 * Helpers shared by the TCP tests (not part of the package's exports).
 *
 * @module
 */
import type { Failure } from "@twixt/defer";
import { Protocol } from "./mod.ts";

/** A promise with its resolve function, for an event a test waits on. */
export function signal<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
} {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A protocol that records what happens to it. */
export class Recorder extends Protocol {
  /** Resolves on connectionMade. */
  made: ReturnType<typeof signal<void>> = signal();
  /** Resolves with the reason on connectionLost. */
  lost: ReturnType<typeof signal<Failure>> = signal<Failure>();
  /** Whether to keep the bytes received (counting them only, if not). */
  keepData = true;
  chunks: Uint8Array[] = [];
  received = 0;
  calls = 0;
  override connectionMade(): void {
    this.made.resolve();
  }
  override dataReceived(data: Uint8Array): void {
    if (this.keepData) this.chunks.push(data.slice());
    this.received += data.length;
    this.calls++;
  }
  override connectionLost(reason: Failure): void {
    this.lost.resolve(reason);
  }
  /** The bytes received, in one array. */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  /** The bytes received, decoded as UTF-8. */
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/** What {@linkcode lineBurst} measured. */
export interface BurstResult {
  /** Client errors and wrong echoes, one line each (empty when all went well). */
  errors: string[];
  /** Milliseconds from the first connect to the last client closed. */
  ms: number;
}

/**
 * `clients` node:net clients connect to 127.0.0.1:`port` at once; each
 * sends `roundTrips` lines of its own, one at a time, checks that each
 * comes back byte for byte, then closes. The load test and the load
 * benchmark share it, so both measure the same client work.
 *
 * With `wave`, at most that many clients are connecting at a time (the
 * next starts when one has its first echo), so the listen queue never
 * overflows; with `hold`, every client stays open until the last is done,
 * so the server holds them all at once.
 */
export function lineBurst(
  connect: typeof import("node:net").connect,
  port: number,
  clients: number,
  roundTrips: number,
  { wave = clients, hold = false }: { wave?: number; hold?: boolean } = {},
): Promise<BurstResult> {
  const errors: string[] = [];
  const start = performance.now();
  let open = clients;
  let started = 0;
  let finished = 0;
  const sockets: Array<{ end(): unknown }> = [];
  const done = signal<BurstResult>();
  const startOne = (): void => {
    if (started < clients) client(started++);
  };
  for (let i = 0; i < Math.min(wave, clients); i++) startOne();
  return done.promise;

  function client(i: number): void {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    socket.setEncoding("utf8");
    let sent = 0;
    let expected = "";
    let buffer = "";
    const next = (): void => {
      if (sent === 1 && wave < clients) startOne();
      if (sent === roundTrips) {
        if (!hold) socket.end();
        else if (++finished === clients) { for (const s of sockets) s.end(); }
        return;
      }
      expected = `client ${i} line ${sent++} ${"x".repeat(i % 50)}`;
      socket.write(`${expected}\n`);
    };
    socket.on("connect", next);
    socket.on("data", (text: string) => {
      buffer += text;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line !== expected) {
          errors.push(`client ${i}: got ${JSON.stringify(line)}`);
        }
        next();
      }
    });
    socket.on("error", (e: Error) => errors.push(`client ${i}: ${e.message}`));
    socket.on("close", () => {
      if (sent !== roundTrips || buffer !== "") {
        errors.push(`client ${i}: closed after ${sent} lines`);
      }
      if (--open === 0) {
        done.resolve({ errors, ms: performance.now() - start });
      }
    });
  }
}
