/**
 * The producer registered with a transport, and what the transport does
 * with it, as Twisted's `FileDescriptor` (twisted/internet/abstract.py):
 * one registered at a time, a streaming producer paused while the write
 * buffer is full and resumed when it drains, a pull producer asked for
 * more, and the producer stopped when the connection is lost. The TCP
 * transport and the in-memory one (`@twixt/reactor/testing`) both keep
 * theirs here; each says for itself when its buffer is full, when it has
 * drained and when to ask a pull producer, since a socket and a pump
 * learn that differently.
 *
 * @module
 */

import { Failure, logError } from "@twixt/defer";
import type { IProducer, IPushProducer } from "./tcp_interfaces.ts";

/**
 * @internal One transport's producer slot.
 *
 * A producer's callback that throws is handed to the transport's `fail`
 * (which logs it and drops the connection), except in
 * {@linkcode _ProducerSlot.connectionLost}, where there is no connection
 * left to drop and the error is only logged, as in Twisted.
 */
export class _ProducerSlot {
  #producer: IProducer | undefined = undefined;
  #streaming = false;
  // We paused the streaming producer because the buffer was full.
  #paused = false;
  #fail: (e: unknown) => void;

  constructor(fail: (e: unknown) => void) {
    this.#fail = fail;
  }

  /** Whether a producer is registered. */
  get registered(): boolean {
    return this.#producer !== undefined;
  }

  /** Whether a pull (not streaming) producer is registered. */
  get pulling(): boolean {
    return this.#producer !== undefined && !this.#streaming;
  }

  /** Whether the streaming producer is paused for a full buffer. */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Registers `producer`; if the transport's write side is `closed`, stops
   * it instead. A streaming producer registered while the buffer is
   * `full` is paused at once.
   *
   * @returns Whether it was registered.
   * @throws {Error} When another producer is registered.
   */
  register(
    producer: IProducer,
    streaming: boolean,
    closed: boolean,
    full: boolean,
  ): boolean {
    if (this.#producer !== undefined) {
      throw new Error(
        "Cannot register a producer: another producer is registered and was never unregistered",
      );
    }
    if (closed) {
      this.#call(() => producer.stopProducing());
      return false;
    }
    this.#producer = producer;
    this.#streaming = streaming;
    this.#paused = false;
    if (full) this.full();
    return true;
  }

  /** Forgets the producer, without stopping it. */
  unregister(): void {
    this.#producer = undefined;
    this.#paused = false;
  }

  /** The buffer is full: pauses a streaming producer (once). */
  full(): void {
    const p = this.#producer;
    if (p === undefined || !this.#streaming || this.#paused) return;
    this.#paused = true;
    this.#call(() => (p as IPushProducer).pauseProducing());
  }

  /** The buffer has drained: resumes a streaming producer paused by `full`. */
  drained(): void {
    const p = this.#producer;
    if (p === undefined || !this.#streaming || !this.#paused) return;
    this.#paused = false;
    this.#call(() => p.resumeProducing());
  }

  /**
   * Asks a pull producer for its next chunk (does nothing for a streaming
   * one).
   *
   * @returns Whether the same pull producer is still registered after it
   * (it may unregister, or its connection close, as it writes).
   */
  pull(): boolean {
    const p = this.#producer;
    if (p === undefined || this.#streaming) return false;
    this.#call(() => p.resumeProducing());
    return this.#producer === p;
  }

  /**
   * Forgets the producer and stops it, while the connection is still up
   * (the write side closed): a throw fails the connection.
   */
  stop(): void {
    const p = this.#take();
    if (p !== undefined) this.#call(() => p.stopProducing());
  }

  /** Forgets the producer and stops it, the connection being lost. */
  connectionLost(): void {
    const p = this.#take();
    if (p === undefined) return;
    try {
      p.stopProducing();
    } catch (e) {
      logError(new Failure(e));
    }
  }

  #take(): IProducer | undefined {
    const p = this.#producer;
    this.unregister();
    return p;
  }

  #call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#fail(e);
    }
  }
}
