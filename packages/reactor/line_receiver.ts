/**
 * A protocol that receives lines of text, as Twisted's
 * `twisted.protocols.basic.LineReceiver`.
 *
 * @module
 */

import { Protocol } from "./protocol.ts";

const encoder = new TextEncoder();
// Not fatal: a line with invalid UTF-8 arrives with U+FFFD in place of the
// bad bytes rather than killing the connection.
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * A protocol that splits what it receives into lines and calls
 * {@linkcode LineReceiver.lineReceived} with each, as UTF-8 text without
 * the delimiter. Chunk boundaries do not matter: a line (or the delimiter,
 * or a multi-byte character) split across chunks arrives whole.
 *
 * A line longer than `MAX_LENGTH` bytes calls
 * {@linkcode LineReceiver.lineLengthExceeded}, which drops the connection by
 * default. {@linkcode LineReceiver.setRawMode} switches to receiving bytes
 * in {@linkcode LineReceiver.rawDataReceived} (for a body after headers,
 * say) and {@linkcode LineReceiver.setLineMode} back. After
 * `transport.loseConnection()`, no further lines are delivered.
 *
 * @example Usage
 * ```ts
 * import { LineReceiver, StringTransport } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * class Shouter extends LineReceiver {
 *   override lineReceived(line: string): void {
 *     this.sendLine(line.toUpperCase());
 *   }
 * }
 * const transport = new StringTransport();
 * const p = new Shouter();
 * p.makeConnection(transport);
 * p.dataReceived(new TextEncoder().encode("hel"));
 * p.dataReceived(new TextEncoder().encode("lo\r\nworld\r\n"));
 * assert.equal(transport.value(), "HELLO\r\nWORLD\r\n");
 * ```
 */
export class LineReceiver extends Protocol {
  /** What ends a line. */
  delimiter = "\r\n";
  /** The longest line accepted, in bytes, without the delimiter. */
  MAX_LENGTH = 16384;
  /** Whether delivery is paused (see {@linkcode LineReceiver.pauseProducing}). */
  paused = false;

  // Unread bytes are #buf[#start, #end). #buf is either storage we own
  // (and may write into) or, when nothing was left over, the chunk just
  // received, used in place to save a copy.
  #buf: Uint8Array = EMPTY;
  #owned = false;
  #start = 0;
  #end = 0;
  // No delimiter starts in [#start, #scanned): searches resume there, so a
  // long line arriving in many chunks is scanned once, not once per chunk.
  #scanned = 0;
  #lineMode = true;
  #busy = false;
  #delimiterText = "";
  #delimiterBytes: Uint8Array = EMPTY;

  /** Called with each line, without its delimiter. Override it. */
  lineReceived(_line: string): void {}

  /** Called with data received in raw mode. Override it to use raw mode. */
  rawDataReceived(_data: Uint8Array): void {}

  /**
   * Called when a line is longer than `MAX_LENGTH`, with everything
   * buffered (the long line and what followed it), which is then dropped.
   * By default, drops the connection.
   */
  lineLengthExceeded(_line: string): void {
    this.transport.loseConnection();
  }

  /** Sends `line` followed by the delimiter. */
  sendLine(line: string | Uint8Array): void {
    if (typeof line === "string") this.transport.write(line + this.delimiter);
    else this.transport.writeSequence([line, this.delimiter]);
  }

  /**
   * Splits `data` (and what was left over before it) into lines, or passes
   * it on in raw mode. Transports call this; call it yourself only to feed
   * the protocol in tests.
   */
  override dataReceived(data: Uint8Array): void {
    this.#append(data);
    // A callback that feeds data back in (setLineMode with extra data, or
    // a test calling dataReceived) only buffers it; the loop below, already
    // running, gets to it in order.
    if (this.#busy) return;
    this.#busy = true;
    try {
      this.#deliver();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Receives lines again; `extra` (data that arrived in raw mode but
   * belongs to lines) is processed first.
   */
  setLineMode(extra?: Uint8Array | string): void {
    this.#lineMode = true;
    if (extra !== undefined && extra.length > 0) {
      this.dataReceived(
        typeof extra === "string" ? encoder.encode(extra) : extra,
      );
    }
  }

  /**
   * Passes all further data, starting with what is buffered, to
   * {@linkcode LineReceiver.rawDataReceived} instead of splitting it into
   * lines.
   */
  setRawMode(): void {
    this.#lineMode = false;
  }

  /** Drops and returns the buffered data not yet delivered. */
  clearLineBuffer(): Uint8Array {
    return this.#takeAll();
  }

  /** Stops delivering lines and stops reading from the transport. */
  pauseProducing(): void {
    this.paused = true;
    this.transport.pauseProducing();
  }

  /** Delivers buffered lines again and resumes reading from the transport. */
  resumeProducing(): void {
    this.paused = false;
    this.dataReceived(EMPTY);
    this.transport.resumeProducing();
  }

  /** Stops delivering and closes the connection. */
  stopProducing(): void {
    this.paused = true;
    this.transport.stopProducing();
  }

  #deliver(): void {
    while (this.#end > this.#start && !this.paused) {
      // Once closing, nothing more is delivered (a real transport stops
      // reading too; this covers data already received).
      if (this.transport?.disconnecting) return;
      if (!this.#lineMode) {
        this.rawDataReceived(this.#takeAll());
        continue;
      }
      const delimiter = this.#delimiter();
      const at = this.#find(delimiter);
      if (at < 0) {
        // A buffer this long cannot end up holding a short enough line,
        // even if it ends in part of a delimiter.
        if (this.#end - this.#start > this.MAX_LENGTH + delimiter.length - 1) {
          this.lineLengthExceeded(decoder.decode(this.#takeAll()));
        }
        return;
      }
      if (at - this.#start > this.MAX_LENGTH) {
        this.lineLengthExceeded(decoder.decode(this.#takeAll()));
        return;
      }
      const line = decoder.decode(this.#buf.subarray(this.#start, at));
      this.#start = at + delimiter.length;
      this.#scanned = this.#start;
      if (this.#start === this.#end) this.#reset();
      this.lineReceived(line);
    }
  }

  #delimiter(): Uint8Array {
    if (this.delimiter !== this.#delimiterText) {
      if (this.delimiter.length === 0) {
        throw new TypeError("Cannot split lines on an empty delimiter");
      }
      this.#delimiterText = this.delimiter;
      this.#delimiterBytes = encoder.encode(this.delimiter);
      this.#scanned = this.#start;
    }
    return this.#delimiterBytes;
  }

  // The index in #buf where the first delimiter starts, or -1.
  #find(delimiter: Uint8Array): number {
    const end = this.#end;
    const view = this.#buf.subarray(0, end);
    const first = delimiter[0]!;
    const n = delimiter.length;
    let from = Math.max(this.#start, this.#scanned);
    for (;;) {
      const i = view.indexOf(first, from);
      if (i < 0) {
        this.#scanned = end;
        return -1;
      }
      if (i + n > end) {
        this.#scanned = i;
        return -1;
      }
      let k = 1;
      while (k < n && view[i + k] === delimiter[k]) k++;
      if (k === n) return i;
      from = i + 1;
    }
  }

  #append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.#end === this.#start) {
      this.#buf = data;
      this.#owned = false;
      this.#start = 0;
      this.#end = n;
      this.#scanned = 0;
      return;
    }
    const live = this.#end - this.#start;
    if (this.#owned && this.#end + n <= this.#buf.length) {
      this.#buf.set(data, this.#end);
      this.#end += n;
      return;
    }
    // Move the live bytes to the front of storage big enough for both,
    // doubling so that appends cost amortised constant time per byte.
    const needed = live + n;
    const storage = this.#owned && needed <= this.#buf.length
      ? this.#buf
      : new Uint8Array(Math.max(needed * 2, 4096));
    if (storage === this.#buf) storage.copyWithin(0, this.#start, this.#end);
    else storage.set(this.#buf.subarray(this.#start, this.#end), 0);
    storage.set(data, live);
    this.#scanned -= this.#start;
    this.#buf = storage;
    this.#owned = true;
    this.#start = 0;
    this.#end = needed;
  }

  // Everything buffered, as bytes the caller may keep.
  #takeAll(): Uint8Array {
    if (this.#end === this.#start) return EMPTY;
    const view = this.#buf.subarray(this.#start, this.#end);
    const out = this.#owned ? view.slice() : view;
    this.#reset();
    return out;
  }

  #reset(): void {
    this.#start = this.#end = this.#scanned = 0;
    this.#buf = EMPTY;
    this.#owned = false;
  }
}
