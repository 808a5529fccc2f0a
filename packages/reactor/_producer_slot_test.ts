import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFailureLogger } from "@twixt/defer";
import { flushLoggedErrors } from "@twixt/defer/testing";
import { _ProducerSlot } from "./_producer_slot.ts";
import type { IPushProducer } from "./tcp_interfaces.ts";

class Boom extends Error {}

/** A producer that records its calls, and throws from those named in `throwing`. */
class Recorder implements IPushProducer {
  calls: string[] = [];
  #throwing: Set<string>;
  #onResume: (() => void) | undefined;
  constructor(throwing: string[] = [], onResume?: () => void) {
    this.#throwing = new Set(throwing);
    this.#onResume = onResume;
  }
  #record(name: string): void {
    this.calls.push(name);
    if (this.#throwing.has(name)) throw new Boom(name);
  }
  pauseProducing(): void {
    this.#record("pause");
  }
  resumeProducing(): void {
    this.#record("resume");
    this.#onResume?.();
  }
  stopProducing(): void {
    this.#record("stop");
  }
}

/** A slot whose failures are collected in `failed`. */
function slot(): { slot: _ProducerSlot; failed: unknown[] } {
  const failed: unknown[] = [];
  return { slot: new _ProducerSlot((e) => failed.push(e)), failed };
}

describe("_ProducerSlot registration", () => {
  it("refuses a second producer with Error until the first unregisters", () => {
    const { slot: s } = slot();
    const first = new Recorder();
    assert.equal(s.register(first, true, false, false), true);
    assert.throws(
      () => s.register(new Recorder(), true, false, false),
      {
        name: "Error",
        message:
          "Cannot register a producer: another producer is registered and was never unregistered",
      },
    );
    assert.equal(s.registered, true);
    s.unregister();
    assert.equal(s.registered, false);
    assert.deepEqual(first.calls, []); // unregistering does not stop it
    assert.equal(s.register(new Recorder(), false, false, false), true);
  });

  it("stops a producer registered after the write side closed, and keeps none", () => {
    const { slot: s, failed } = slot();
    const p = new Recorder();
    assert.equal(s.register(p, true, true, false), false);
    assert.deepEqual(p.calls, ["stop"]);
    assert.equal(s.registered, false);
    assert.deepEqual(failed, []);
  });

  it("pauses a streaming producer registered while the buffer is full", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, true, false, true);
    assert.deepEqual(p.calls, ["pause"]);
    assert.equal(s.paused, true);
  });

  it("does not pause a pull producer registered while the buffer is full", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, false, false, true);
    assert.deepEqual(p.calls, []);
    assert.equal(s.pulling, true);
    assert.equal(s.paused, false);
  });
});

describe("_ProducerSlot flow control", () => {
  it("pauses a streaming producer once when full and resumes it once when drained", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, true, false, false);
    s.drained(); // not paused: nothing to resume
    s.full();
    s.full();
    s.drained();
    s.drained();
    assert.deepEqual(p.calls, ["pause", "resume"]);
    assert.equal(s.paused, false);
  });

  it("forgets that it paused a producer when it unregisters", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, true, false, false);
    s.full();
    s.unregister();
    assert.equal(s.paused, false);
    s.drained();
    assert.deepEqual(p.calls, ["pause"]);
  });

  it("leaves a pull producer alone on full and drained, and asks it on pull", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, false, false, false);
    s.full();
    s.drained();
    assert.equal(s.pull(), true);
    assert.deepEqual(p.calls, ["resume"]);
  });

  it("says a pull producer that unregistered as it wrote is no longer there", () => {
    const { slot: s } = slot();
    const p = new Recorder([], () => s.unregister());
    s.register(p, false, false, false);
    assert.equal(s.pull(), false);
    assert.deepEqual(p.calls, ["resume"]);
  });

  it("does not pull a streaming producer, nor an empty slot", () => {
    const { slot: s } = slot();
    assert.equal(s.pull(), false);
    const p = new Recorder();
    s.register(p, true, false, false);
    assert.equal(s.pull(), false);
    assert.deepEqual(p.calls, []);
  });
});

describe("_ProducerSlot stopping", () => {
  it("stop forgets the producer and stops it", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, true, false, false);
    s.full();
    s.stop();
    assert.equal(s.registered, false);
    assert.equal(s.paused, false);
    assert.deepEqual(p.calls, ["pause", "stop"]);
    s.stop(); // nothing left to stop
    assert.deepEqual(p.calls, ["pause", "stop"]);
  });

  it("connectionLost forgets the producer and stops it", () => {
    const { slot: s } = slot();
    const p = new Recorder();
    s.register(p, false, false, false);
    s.connectionLost();
    assert.equal(s.registered, false);
    assert.deepEqual(p.calls, ["stop"]);
  });
});

describe("_ProducerSlot producer errors", () => {
  for (
    const [name, act] of [
      ["pause", (s: _ProducerSlot) => s.full()],
      ["resume", (s: _ProducerSlot) => {
        s.full();
        s.drained();
      }],
      ["stop", (s: _ProducerSlot) => s.stop()],
    ] as const
  ) {
    it(`hands a throw from a streaming producer's ${name} to the transport`, () => {
      const { slot: s, failed } = slot();
      s.register(new Recorder([name]), true, false, false);
      act(s);
      assert.equal(failed.length, 1);
      assert.ok(failed[0] instanceof Boom);
      assert.equal((failed[0] as Boom).message, name);
    });
  }

  it("hands a throw from a pull producer's resume to the transport", () => {
    const { slot: s, failed } = slot();
    s.register(new Recorder(["resume"]), false, false, false);
    assert.equal(s.pull(), true);
    assert.equal(failed.length, 1);
  });

  it("hands a throw from stopping a producer refused on a closed side to the transport", () => {
    const { slot: s, failed } = slot();
    s.register(new Recorder(["stop"]), true, true, false);
    assert.equal(failed.length, 1);
  });

  it("logs a throw from stopping on connectionLost, with no connection to fail", () => {
    const { slot: s, failed } = slot();
    s.register(new Recorder(["stop"]), true, false, false);
    const previous = setFailureLogger(() => {});
    try {
      s.connectionLost();
    } finally {
      setFailureLogger(previous);
    }
    assert.deepEqual(failed, []);
    assert.equal(s.registered, false);
    assert.equal(flushLoggedErrors(Boom).length, 1);
  });
});
