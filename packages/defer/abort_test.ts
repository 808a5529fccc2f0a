import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  cancelOnAbort,
  Deferred,
  fromAbortable,
} from "./mod.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./testing.ts";

describe("fromAbortable", () => {
  it("fires with the function's result", async () => {
    const d = fromAbortable(async (signal) => {
      await Promise.resolve();
      return signal.aborted ? "aborted" : "done";
    });
    assert.equal(await d, "done");
  });

  it("fires at once with a synchronous result", () => {
    assert.equal(successResultOf(fromAbortable(() => 5)), 5);
  });

  it("fails with the function's rejection", async () => {
    const d = fromAbortable(() => Promise.reject(new RangeError("Bad")));
    await assert.rejects(d.asPromise(), RangeError);
  });

  it("fails with a synchronous throw", () => {
    const d = fromAbortable(() => {
      throw new TypeError("Early");
    });
    failureResultOf(d, TypeError);
  });

  it("aborts the signal on cancel and fails with CancelledError at once", async () => {
    let signal: AbortSignal | undefined;
    let rejectWork: (e: unknown) => void = () => {};
    const d = fromAbortable((s) => {
      signal = s;
      return new Promise<number>((_resolve, reject) => {
        rejectWork = reject;
        s.addEventListener("abort", () => reject(s.reason));
      });
    });
    d.cancel();
    assert.ok(signal?.aborted);
    assert.ok(signal?.reason instanceof CancelledError);
    failureResultOf(d, CancelledError);
    // The work's own late rejection is ignored, not an AlreadyCalledError.
    rejectWork(new Error("late"));
    await new Promise((r) => setTimeout(r, 0));
  });

  it("ignores a late success after cancel", async () => {
    let finish: (v: number) => void = () => {};
    const d = fromAbortable(() =>
      new Promise<number>((resolve) => (finish = resolve))
    );
    d.cancel();
    finish(1);
    await new Promise((r) => setTimeout(r, 0));
    failureResultOf(d, CancelledError);
  });
});

describe("cancelOnAbort", () => {
  it("cancels the Deferred when the signal aborts", () => {
    const controller = new AbortController();
    const d = cancelOnAbort(new Deferred<number>(), controller.signal);
    assertNoResult(d);
    controller.abort();
    failureResultOf(d, CancelledError);
  });

  it("cancels at once with an already aborted signal", () => {
    const d = cancelOnAbort(new Deferred<number>(), AbortSignal.abort());
    failureResultOf(d, CancelledError);
  });

  it("stops listening once the Deferred has fired", () => {
    const controller = new AbortController();
    let removed = 0;
    const signal = controller.signal;
    const original = signal.removeEventListener.bind(signal);
    signal.removeEventListener =
      ((...args: Parameters<AbortSignal["removeEventListener"]>) => {
        removed++;
        original(...args);
      }) as AbortSignal["removeEventListener"];
    const d = cancelOnAbort(new Deferred<number>(), signal);
    d.callback(1);
    assert.equal(removed, 1);
    controller.abort();
    assert.equal(successResultOf(d), 1);
  });

  it("keeps the result and failure paths unchanged", () => {
    const d = cancelOnAbort(
      new Deferred<number>(),
      new AbortController().signal,
    );
    d.errback(new RangeError("x"));
    failureResultOf(d, RangeError);
  });
});
