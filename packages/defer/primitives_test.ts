import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  Deferred,
  fail,
  Failure,
  QueueOverflow,
  QueueUnderflow,
  succeed,
} from "./mod.ts";
import {
  DeferredLock,
  DeferredQueue,
  DeferredSemaphore,
  NotAcquiredError,
} from "./primitives.ts";
import { assertNoResult, failureResultOf, successResultOf } from "./testing.ts";

describe("DeferredLock", () => {
  it("is acquired at once when free and queues later acquirers", () => {
    const lock = new DeferredLock();
    let counter = 0;
    const incr = (): void => {
      counter++;
    };
    assert.equal(lock.locked, false);
    lock.acquire().addCallback(incr);
    assert.equal(lock.locked, true);
    assert.equal(counter, 1);

    lock.acquire().addCallback(incr);
    assert.equal(lock.locked, true);
    assert.equal(counter, 1);

    lock.release();
    assert.equal(lock.locked, true);
    assert.equal(counter, 2);

    lock.release();
    assert.equal(lock.locked, false);
    assert.equal(counter, 2);
  });

  it("fires acquire() with the lock itself", () => {
    const lock = new DeferredLock();
    assert.equal(successResultOf(lock.acquire()), lock);
  });

  it("serves waiters first come, first served", () => {
    const lock = new DeferredLock();
    const order: number[] = [];
    lock.acquire();
    for (let i = 0; i < 5; i++) {
      lock.acquire().addCallback(() => {
        order.push(i);
      });
    }
    for (let i = 0; i < 5; i++) lock.release();
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("throws NotAcquiredError when released while not locked", () => {
    const lock = new DeferredLock();
    assert.throws(() => lock.release(), NotAcquiredError);
    lock.acquire();
    lock.release();
    assert.throws(
      () => lock.release(),
      (e: Error) =>
        e instanceof NotAcquiredError &&
        e.message === "Cannot release a DeferredLock that is not locked",
    );
  });

  it("runs a function with its arguments while holding the lock", () => {
    const lock = new DeferredLock();
    const control = new Deferred<string>();
    let seen: unknown[] = [];
    const result = lock.run(
      (a: string, b: number) => {
        seen = [a, b, lock.locked];
        return control;
      },
      "x",
      2,
    );
    assert.deepEqual(seen, ["x", 2, true]);
    assertNoResult(result);

    let counter = 0;
    lock.acquire().addCallback(() => {
      counter++;
    });
    assert.equal(counter, 0);

    control.callback("done");
    assert.equal(successResultOf(result), "done");
    // The waiter got the lock as run() released it.
    assert.equal(counter, 1);
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("fails run()'s Deferred with TypeError, without throwing, when given no function", () => {
    const lock = new DeferredLock();
    const d = (lock.run as (fn?: unknown) => Deferred<unknown>)("f");
    assert.match(
      failureResultOf(d, TypeError).getErrorMessage(),
      /Cannot run "f": it must be a function/,
    );
    assert.equal(lock.locked, false);
    const sem = new DeferredSemaphore(1);
    failureResultOf(
      (sem.run as (fn?: unknown) => Deferred<unknown>)(),
      TypeError,
    );
    assert.equal(sem.tokens, 1);
  });

  it("releases after run()'s function throws, passing the failure on", () => {
    const lock = new DeferredLock();
    const d = lock.run(() => {
      throw new RangeError("Broken");
    });
    failureResultOf(d, RangeError);
    assert.equal(lock.locked, false);
  });

  it("releases after run()'s Deferred fails", () => {
    const lock = new DeferredLock();
    const d = lock.run(() => fail<number>(new RangeError("Later")));
    failureResultOf(d, RangeError);
    assert.equal(lock.locked, false);
  });

  it("waits on a promise returned by run()'s function", async () => {
    const lock = new DeferredLock();
    const d = lock.run(async (n: number) => {
      await Promise.resolve();
      return n * 2;
    }, 21);
    assert.equal(lock.locked, true);
    assert.equal(await d, 42);
    assert.equal(lock.locked, false);
  });

  it("fails a cancelled waiting acquire() with CancelledError and drops it from the line", () => {
    const lock = new DeferredLock();
    lock.acquire();
    const cancelled = lock.acquire();
    const next = lock.acquire();
    cancelled.cancel();
    failureResultOf(cancelled, CancelledError);
    lock.release();
    assert.equal(successResultOf(next), lock);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("ignores cancelling an acquire() that has the lock", () => {
    const lock = new DeferredLock();
    const d = lock.acquire();
    d.cancel();
    assert.equal(successResultOf(d), lock);
    assert.equal(lock.locked, true);
  });

  it("passes a cancelled acquire()'s Failure through addBoth", () => {
    const lock = new DeferredLock();
    lock.acquire();
    let result: unknown;
    const d = lock.acquire().addBoth((r) => {
      result = r;
    });
    d.cancel();
    assert.ok(result instanceof Failure);
    assert.equal(result.type, CancelledError);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("never calls run()'s function when cancelled while waiting", () => {
    const lock = new DeferredLock();
    lock.acquire();
    let ran = false;
    const d = lock.run(() => {
      ran = true;
    });
    d.cancel();
    failureResultOf(d, CancelledError);
    lock.release();
    assert.equal(ran, false);
    assert.equal(lock.locked, false);
  });

  it("cancels run()'s pending Deferred when cancelled, and releases", () => {
    const lock = new DeferredLock();
    let stopped = false;
    const d = lock.run(() =>
      new Deferred<string>(() => {
        stopped = true;
      })
    );
    d.cancel();
    assert.ok(stopped);
    failureResultOf(d, CancelledError);
    assert.equal(lock.locked, false);
  });

  it("skips a waiter that was fired by someone else", () => {
    const lock = new DeferredLock();
    lock.acquire();
    const meddled = lock.acquire();
    const next = lock.acquire();
    meddled.callback(lock);
    lock.release();
    assert.equal(successResultOf(next), lock);
    lock.release();
    assert.equal(lock.locked, false);
  });

  it("runs a hundred thousand queued synchronous run() calls in constant stack", () => {
    const lock = new DeferredLock();
    const first = new Deferred<void>();
    lock.run(() => first);
    let done = 0;
    const results: Deferred<number>[] = [];
    for (let i = 0; i < 100_000; i++) {
      results.push(lock.run(() => ++done));
    }
    first.callback();
    assert.equal(done, 100_000);
    assert.equal(successResultOf(results[99_999]!), 100_000);
    assert.equal(lock.locked, false);
  });

  it("hands on at once but fires the next waiter after the current callbacks return", () => {
    const lock = new DeferredLock();
    const log: string[] = [];
    lock.acquire();
    lock.acquire().addCallback(() => {
      lock.release();
      log.push(`released, locked: ${lock.locked}`);
    });
    lock.acquire().addCallback(() => {
      log.push("second waiter");
    });
    lock.release();
    assert.deepEqual(log, ["released, locked: true", "second waiter"]);
    assert.equal(lock.locked, true);
  });

  it("passes the lock on when a waiter is cancelled between hand-off and firing", () => {
    const lock = new DeferredLock();
    lock.acquire();
    const waiters: Deferred<DeferredLock>[] = [];
    waiters.push(
      lock.acquire().addCallback((l) => {
        l.release(); // hands to waiters[1], fired once this returns
        waiters[1]!.cancel();
        return l;
      }),
    );
    waiters.push(lock.acquire());
    waiters.push(lock.acquire());
    lock.release();
    successResultOf(waiters[0]!);
    failureResultOf(waiters[1]!, CancelledError);
    assert.equal(successResultOf(waiters[2]!), lock);
    assert.equal(lock.locked, true);
    lock.release();
    assert.equal(lock.locked, false);
  });
});

describe("DeferredSemaphore", () => {
  it("runs a function and releases when its Deferred fires", () => {
    const sem = new DeferredSemaphore(13);
    const control = new Deferred<void>();
    let arg: unknown;
    const results: unknown[] = [];
    const d = sem.run((a: object) => {
      arg = a;
      return control;
    }, sem);
    d.addCallback((r) => {
      results.push(r);
    });
    assert.deepEqual(results, []);
    assert.equal(arg, sem);
    assert.equal(sem.tokens, 12);
    control.callback();
    assert.deepEqual(results, [undefined]);
    assert.equal(sem.tokens, 13);
  });

  it("gives out limit tokens at once, then queues, serving waiters in order", () => {
    const N = 13;
    const sem = new DeferredSemaphore(N);
    let counter = 0;
    const incr = (): void => {
      counter++;
    };
    for (let i = 1; i <= N; i++) {
      sem.acquire().addCallback(incr);
      assert.equal(counter, i);
    }
    assert.equal(sem.tokens, 0);

    const success: boolean[] = [];
    const d = sem.acquire().addCallbacks(
      () => {
        success.push(false);
      },
      () => {
        success.push(true);
      },
    );
    d.cancel();
    assert.deepEqual(success, [true]);

    sem.acquire().addCallback(incr);
    assert.equal(counter, N);
    sem.release();
    assert.equal(counter, N + 1);
    for (let i = 1; i <= N; i++) {
      sem.release();
      assert.equal(counter, N + 1);
    }
    assert.equal(sem.tokens, N);
    assert.equal(sem.limit, N);
  });

  it("throws RangeError for fewer than one token or a fraction", () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => new DeferredSemaphore(bad), RangeError);
    }
  });

  it("ignores cancelling an acquire() that has a token", () => {
    const sem = new DeferredSemaphore(1);
    const d = sem.acquire();
    d.cancel();
    assert.equal(successResultOf(d), sem);
    assert.equal(sem.tokens, 0);
  });

  it("fails a cancelled waiting acquire() with CancelledError", () => {
    const sem = new DeferredSemaphore(1);
    sem.acquire();
    const d = sem.acquire();
    d.cancel();
    failureResultOf(d, CancelledError);
    sem.release();
    assert.equal(sem.tokens, 1);
  });

  it("throws NotAcquiredError when released more than acquired", () => {
    const sem = new DeferredSemaphore(2);
    assert.throws(() => sem.release(), NotAcquiredError);
    sem.acquire();
    sem.release();
    assert.throws(() => sem.release(), NotAcquiredError);
    assert.equal(sem.tokens, 2);
  });

  it("keeps at most limit run() calls going at once, in order", () => {
    const sem = new DeferredSemaphore(2);
    const jobs = Array.from({ length: 5 }, () => new Deferred<number>());
    const started: number[] = [];
    const results = jobs.map((job, i) =>
      sem.run(() => {
        started.push(i);
        return job;
      })
    );
    assert.deepEqual(started, [0, 1]);
    jobs[1]!.callback(1);
    assert.deepEqual(started, [0, 1, 2]);
    jobs[0]!.callback(0);
    assert.deepEqual(started, [0, 1, 2, 3]);
    jobs[3]!.errback(new RangeError("Job 3"));
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    jobs[2]!.callback(2);
    jobs[4]!.callback(4);
    assert.deepEqual(
      [0, 1, 2, 4].map((i) => successResultOf(results[i]!)),
      [0, 1, 2, 4],
    );
    failureResultOf(results[3]!, RangeError);
    assert.equal(sem.tokens, 2);
  });

  it("runs a hundred thousand queued synchronous run() calls in constant stack", () => {
    const sem = new DeferredSemaphore(2);
    const blockers = [new Deferred<void>(), new Deferred<void>()];
    for (const b of blockers) sem.run(() => b);
    let done = 0;
    for (let i = 0; i < 100_000; i++) sem.run(() => ++done);
    blockers[0]!.callback();
    assert.equal(done, 100_000);
    assert.equal(sem.tokens, 1);
    blockers[1]!.callback();
    assert.equal(sem.tokens, 2);
  });
});

describe("DeferredQueue", () => {
  it("serves getters and items first in, first out, within size and backlog", () => {
    const N = 2;
    const M = 2;
    const queue = new DeferredQueue<number>(N, M);
    let gotten: number[] = [];
    for (let i = 0; i < M; i++) {
      queue.get().addCallback((x) => {
        gotten.push(x);
      });
    }
    failureResultOf(queue.get(), QueueUnderflow);
    for (let i = 0; i < M; i++) {
      queue.put(i);
      assert.deepEqual(gotten, Array.from({ length: i + 1 }, (_, j) => j));
    }
    for (let i = 0; i < N; i++) {
      queue.put(N + i);
      assert.deepEqual(gotten, [0, 1]);
    }
    assert.throws(() => queue.put(99), QueueOverflow);

    gotten = [];
    for (let i = 0; i < N; i++) {
      queue.get().addCallback((x) => {
        gotten.push(x);
      });
      assert.deepEqual(gotten, Array.from({ length: i + 1 }, (_, j) => N + j));
    }
  });

  it("has no bounds by default", () => {
    const queue = new DeferredQueue<number>();
    const gotten: number[] = [];
    for (let i = 0; i < 2; i++) {
      queue.get().addCallback((x) => {
        gotten.push(x);
      });
    }
    for (let i = 0; i < 2; i++) queue.put(i);
    assert.deepEqual(gotten, [0, 1]);
    for (let i = 0; i < 10_000; i++) queue.put(i);
    assert.equal(queue.pending, 10_000);
    assert.equal(queue.size, Infinity);
    assert.equal(queue.backlog, Infinity);
  });

  it("overflows at once with size 0 and underflows at once with backlog 0", () => {
    assert.throws(() => new DeferredQueue<null>(0).put(null), QueueOverflow);
    failureResultOf(
      new DeferredQueue<null>(undefined, 0).get(),
      QueueUnderflow,
    );
  });

  it("gives a held item as an already fired Deferred", () => {
    const queue = new DeferredQueue<string>();
    queue.put("a");
    const d = queue.get();
    assert.equal(d.called, true);
    assert.equal(successResultOf(d), "a");
    assert.equal(queue.pending, 0);
  });

  it("ignores cancelling a get() that has its item", () => {
    const queue = new DeferredQueue<null>();
    const d = queue.get();
    queue.put(null);
    d.cancel();
    assert.equal(successResultOf(d), null);
  });

  it("fails a cancelled waiting get() with CancelledError and drops it from the line", () => {
    const queue = new DeferredQueue<null>();
    const d = queue.get();
    d.cancel();
    failureResultOf(d, CancelledError);
    assert.equal(queue.waiting, 0);
    queue.put(null);
    assert.equal(queue.pending, 1);
    assert.equal(successResultOf(queue.get()), null);
  });

  it("gives the next item to the next getter when one in between was cancelled", () => {
    const queue = new DeferredQueue<string>();
    const first = queue.get();
    const second = queue.get();
    const third = queue.get();
    second.cancel();
    queue.put("a");
    queue.put("b");
    assert.equal(successResultOf(first), "a");
    assert.equal(successResultOf(third), "b");
    failureResultOf(second, CancelledError);
  });

  it("lets a cancelled get()'s errback use the queue", () => {
    const queue = new DeferredQueue<null>();
    const d = queue.get();
    d.cancel();
    d.addErrback((f) => {
      f.trap(CancelledError);
      queue.put(null);
      return queue.get();
    });
    assert.equal(successResultOf(d), null);
  });

  it("throws TypeError when a Deferred is put", () => {
    const queue = new DeferredQueue<unknown>();
    const getter = queue.get();
    assert.throws(() => queue.put(succeed(1)), TypeError);
    assertNoResult(getter);
    assert.equal(queue.waiting, 1);
  });

  it("throws RangeError for a negative or non-number size or backlog", () => {
    assert.throws(() => new DeferredQueue(-1), RangeError);
    assert.throws(() => new DeferredQueue(NaN), RangeError);
    assert.throws(() => new DeferredQueue(1, -1), RangeError);
    assert.throws(
      () => new DeferredQueue(1, "2" as unknown as number),
      RangeError,
    );
  });

  it("fires the next getter after the current getter's callbacks return", () => {
    const queue = new DeferredQueue<number>();
    const log: string[] = [];
    queue.get().addCallback((n) => {
      queue.put(n + 1);
      log.push(`first got ${n}, waiting: ${queue.waiting}`);
    });
    queue.get().addCallback((n) => {
      log.push(`second got ${n}`);
    });
    queue.put(1);
    assert.deepEqual(log, ["first got 1, waiting: 0", "second got 2"]);
  });

  it("gives an item on when the getter it was handed to is cancelled before firing", () => {
    const queue = new DeferredQueue<string>();
    const getters: Deferred<string>[] = [];
    getters.push(
      queue.get().addCallback((s) => {
        queue.put("b"); // handed to getters[1], fired once this returns
        getters[1]!.cancel();
        return s;
      }),
    );
    getters.push(queue.get());
    getters.push(queue.get());
    queue.put("a");
    assert.equal(successResultOf(getters[0]!), "a");
    failureResultOf(getters[1]!, CancelledError);
    assert.equal(successResultOf(getters[2]!), "b");
  });

  it("puts an item back in front when its getter is cancelled before firing and none waits", () => {
    const queue = new DeferredQueue<string>();
    const getters: Deferred<string>[] = [];
    getters.push(
      queue.get().addCallback((s) => {
        queue.put("b"); // handed to getters[1]
        queue.put("c"); // no getter waits: held
        getters[1]!.cancel();
        return s;
      }),
    );
    getters.push(queue.get());
    queue.put("a");
    failureResultOf(getters[1]!, CancelledError);
    assert.equal(queue.pending, 2);
    assert.equal(successResultOf(queue.get()), "b");
    assert.equal(successResultOf(queue.get()), "c");
  });

  it("feeds a hundred thousand waiting getters that each put again, in constant stack", () => {
    const queue = new DeferredQueue<number>();
    let last = -1;
    for (let i = 0; i < 100_000; i++) {
      queue.get().addCallback((n) => {
        last = n;
        if (n < 99_999) queue.put(n + 1);
      });
    }
    queue.put(0);
    assert.equal(last, 99_999);
    assert.equal(queue.waiting, 0);
  });
});
