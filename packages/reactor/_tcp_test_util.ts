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
