import { beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Deferred,
  fail,
  type Failure,
  type IDelayedCall,
  setFailureLogger,
} from "@twixt/defer";
import { failureResultOf, flushLoggedErrors } from "@twixt/defer/testing";
import { reactor } from "./mod.ts";
import {
  Clock,
  coiterate,
  cooperate,
  type CooperativeTask,
  Cooperator,
  NotPaused,
  SchedulerStopped,
  TaskDone,
  TaskFailed,
  TaskStopped,
} from "./task.ts";

class UnhandledException extends Error {}

// A scheduler whose steps run only when pumped, as in Twisted's tests.
class FakeScheduler {
  work: { fn: () => void; cancelled: boolean }[] = [];

  schedule = (fn: () => void): IDelayedCall => {
    const unit = { fn, cancelled: false };
    this.work.push(unit);
    return {
      cancel: () => {
        unit.cancelled = true;
      },
      active: () => !unit.cancelled,
      getTime: () => 0,
      delay: () => {},
      reset: () => {},
    };
  };

  pump(): void {
    const work = this.work;
    this.work = [];
    for (const unit of work) if (!unit.cancelled) unit.fn();
  }
}

// Twisted's test_cooperator FakeScheduler exactly: its handles have
// cancel() and nothing else, all that Twisted's Cooperator asks of them.
class CancelOnlyScheduler {
  work: { fn: () => void; cancelled: boolean }[] = [];

  schedule = (fn: () => void): { cancel(): void } => {
    const unit = { fn, cancelled: false };
    this.work.push(unit);
    return {
      cancel: () => {
        unit.cancelled = true;
      },
    };
  };

  pump(): void {
    const work = this.work;
    this.work = [];
    for (const unit of work) if (!unit.cancelled) unit.fn();
  }
}

const ONE_UNIT_PER_STEP = (): () => boolean => () => true;

describe("Cooperator", () => {
  it("refuses new tasks once stopped, failing them with SchedulerStopped", () => {
    const c = new Cooperator();
    c.stop();
    failureResultOf(c.coiterate([].values()), SchedulerStopped);
    const given = new Deferred<Iterator<never>>();
    assert.equal(c.coiterate([].values(), given), given);
    failureResultOf(given, SchedulerStopped);
  });

  it("does not run a task to completion when stopped while it runs", async () => {
    const c = new Cooperator();
    let progressed = -1;
    const d = c.coiterate((function* () {
      for (let i = 0; i < 3; i++) {
        progressed = i;
        yield;
      }
    })());
    c.stop();
    await assert.rejects(d.asPromise(), SchedulerStopped);
    assert.equal(progressed, -1);
  });

  it("fails the Deferred of a task waiting on a yielded Deferred when stopped", async () => {
    const outstanding = new Deferred<string>();
    const c = new Cooperator();
    let resumed = false;
    const d = c.coiterate((function* () {
      yield outstanding;
      resumed = true;
    })());
    await new Promise((resolve) => reactor.callLater(0.005, resolve, null));
    c.stop();
    outstanding.callback("arglebargle");
    await assert.rejects(d.asPromise(), SchedulerStopped);
    assert.equal(resumed, false);
  });

  it("fails the task's Deferred with what the iterator throws", async () => {
    const d = new Cooperator().coiterate((function* () {
      yield* [];
      throw new RangeError("Broken iterator");
    })());
    await assert.rejects(d.asPromise(), RangeError);
  });

  it("fails the task's Deferred when a yielded Deferred fails later", async () => {
    const d = new Cooperator().coiterate((function* () {
      const D = new Deferred<void>();
      reactor.callLater(0, () => D.errback(new RangeError("Later")));
      yield D;
    })());
    await assert.rejects(d.asPromise(), RangeError);
  });

  it("fails the task's Deferred when a yielded Deferred has already failed", async () => {
    const d = new Cooperator().coiterate((function* () {
      yield fail(new RangeError("Now"));
    })());
    await assert.rejects(d.asPromise(), RangeError);
  });

  it("waits for a yielded promise, and fails with its rejection", async () => {
    const seen: string[] = [];
    await new Cooperator().coiterate((function* () {
      yield Promise.resolve().then(() => seen.push("settled"));
      seen.push("resumed");
    })());
    assert.deepEqual(seen, ["settled", "resumed"]);
    const d = new Cooperator().coiterate((function* () {
      yield Promise.reject(new RangeError("Rejected"));
    })());
    await assert.rejects(d.asPromise(), RangeError);
  });

  it("shares the work round-robin between its tasks", async () => {
    const L: unknown[] = [];
    function* myiter<T>(things: Iterable<T>): Generator<void> {
      for (const th of things) {
        L.push(th);
        yield;
      }
    }
    const groups: Iterable<unknown>[] = ["abc", [1, 2, 3], "def", [4, 5, 6]];
    const c = new Cooperator();
    await Promise.all(groups.map((g) => c.coiterate(myiter(g))));
    assert.deepEqual(L, ["a", 1, "d", 4, "b", 2, "e", 5, "c", 3, "f", 6]);
  });

  it("ends a step when the termination predicate says so", () => {
    const output: number[] = [];
    let stopped = false;
    const scheduler = new FakeScheduler();
    const c = new Cooperator({
      terminationPredicateFactory: () => () => stopped,
      scheduler: scheduler.schedule,
    });
    c.coiterate((function* () {
      for (let i = 0; i < 100; i++) {
        output.push(i);
        if (i === 9) stopped = true;
        yield i;
      }
    })()).addErrback((f) => f.trap(SchedulerStopped));
    scheduler.pump();
    c.stop();
    assert.deepEqual(output, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("schedules only one step when a task's callback adds another task", () => {
    // Twisted's testCallbackReCoiterate.
    const calls: (() => void)[] = [];
    const c = new Cooperator({
      scheduler: (f) => {
        assert.equal(calls.length, 0, "one step scheduled at a time");
        calls.push(f);
        return { cancel() {}, active: () => true } as unknown as IDelayedCall;
      },
      terminationPredicateFactory: ONE_UNIT_PER_STEP,
    });
    const done: unknown[] = [];
    c.coiterate([].values()).addCallback(() => {
      c.coiterate([].values()).addBoth((r) => done.push(r));
    });
    let work = 0;
    while (done.length === 0) {
      work++;
      while (calls.length) {
        calls.shift()!();
        work++;
      }
      assert.ok(work <= 50, "Cooperator took too long");
    }
  });

  it("cancels the scheduled step when its last task is removed", () => {
    const scheduler = new FakeScheduler();
    const coop = new Cooperator({ scheduler: scheduler.schedule });
    const task1 = coop.cooperate([1, 2].values());
    const task2 = coop.cooperate([1, 2].values());
    assert.equal(scheduler.work.length, 1);
    task1.stop();
    assert.equal(scheduler.work[0]!.cancelled, false);
    task2.stop();
    assert.equal(scheduler.work[0]!.cancelled, true);
    coop.cooperate([1, 2].values()).whenDone().addErrback(() => {});
    assert.equal(scheduler.work.length, 2);
    assert.equal(scheduler.work[1]!.cancelled, false);
    coop.stop();
  });

  it("leaves no call on the reactor once its tasks are done", async () => {
    await new Cooperator().coiterate([1, 2, 3]);
    assert.deepEqual(reactor.getDelayedCalls(), []);
  });

  it("reports running when started on creation, not when created unstarted, and not once stopped", () => {
    assert.equal(new Cooperator().running, true);
    const c = new Cooperator({ started: false });
    assert.equal(c.running, false);
    c.start();
    assert.equal(c.running, true);
    c.stop();
    assert.equal(c.running, false);
  });

  it("queues tasks added before start and runs them once started", () => {
    const clock = new Clock();
    const c = new Cooperator({
      started: false,
      scheduler: (f) => clock.callLater(0, f),
    });
    const seen: number[] = [];
    c.cooperate((function* () {
      seen.push(1);
      yield;
    })());
    clock.advance(0);
    assert.deepEqual(seen, []);
    c.start();
    clock.advance(0);
    assert.deepEqual(seen, [1]);
  });

  it("logs the failure of a task nobody waits on", () => {
    const clock = new Clock();
    const c = new Cooperator({ scheduler: (f) => clock.callLater(0, f) });
    const previous = setFailureLogger(() => {});
    try {
      c.cooperate((function* () {
        yield* [];
        throw new UnhandledException();
      })());
      clock.advance(0);
    } finally {
      setFailureLogger(previous);
    }
    assert.equal(flushLoggedErrors(UnhandledException).length, 1);
  });

  it("rejects something that is not an iterator with TypeError", () => {
    assert.throws(
      () => new Cooperator().cooperate(42 as unknown as Iterable<number>),
      TypeError,
    );
  });

  it("coiterate fails its Deferred for what is not an iterator, never throwing", () => {
    for (const bad of ["5", 5, true, {}, null, undefined] as unknown[]) {
      let d: Deferred<unknown> | undefined;
      assert.doesNotThrow(() => {
        d = new Cooperator().coiterate(bad as Iterable<number>);
      });
      const f = failureResultOf(d!, TypeError);
      assert.match(
        (f.value as Error).message,
        /^Cannot cooperate on .*: it is not an iterator or iterable$/,
      );
      let g: Deferred<unknown> | undefined;
      assert.doesNotThrow(() => {
        g = coiterate(bad as Iterable<number>);
      });
      failureResultOf(g!, TypeError);
    }
  });
});

describe("cooperate and coiterate", () => {
  it("run the generator on the global Cooperator", async () => {
    const seen: number[] = [];
    const task = cooperate((function* () {
      seen.push(1);
      yield;
      seen.push(2);
      yield;
      seen.push(3);
    })());
    await task.whenDone();
    assert.deepEqual(seen, [1, 2, 3]);
    const it = [4, 5].values();
    assert.equal(await coiterate(it), it);
  });
});

describe("CooperativeTask run states", () => {
  let doDeferNext: boolean;
  let doStopNext: boolean;
  let doDieNext: boolean;
  let work: unknown[];
  let scheduler: FakeScheduler;
  let cooperator: Cooperator;
  let task: CooperativeTask<unknown>;

  function* worker(): Generator<unknown> {
    let i = 0;
    for (;;) {
      i++;
      if (doDeferNext) {
        doDeferNext = false;
        const d = new Deferred<unknown>();
        work.push(d);
        yield d;
      } else if (doStopNext) {
        return;
      } else if (doDieNext) {
        throw new UnhandledException();
      } else {
        work.push(i);
        yield i;
      }
    }
  }

  beforeEach(() => {
    doDeferNext = false;
    doStopNext = false;
    doDieNext = false;
    work = [];
    scheduler = new FakeScheduler();
    cooperator = new Cooperator({
      scheduler: scheduler.schedule,
      terminationPredicateFactory: ONE_UNIT_PER_STEP,
    });
    task = cooperator.cooperate(worker());
    cooperator.start();
  });

  it("stops working on a paused task and goes on once resumed", () => {
    scheduler.pump();
    assert.deepEqual(work, [1]);
    scheduler.pump();
    assert.deepEqual(work, [1, 2]);
    task.pause();
    scheduler.pump();
    assert.deepEqual(work, [1, 2]);
    task.resume();
    assert.deepEqual(work, [1, 2]);
    scheduler.pump();
    assert.deepEqual(work, [1, 2, 3]);
    task.stop();
  });

  it("throws NotPaused when resuming a task that is not paused", () => {
    assert.throws(() => task.resume(), NotPaused);
    task.pause();
    task.resume();
    assert.throws(() => task.resume(), NotPaused);
    task.stop();
  });

  it("needs as many resumes as pauses", () => {
    task.pause();
    scheduler.pump();
    assert.deepEqual(work, []);
    task.pause();
    scheduler.pump();
    assert.deepEqual(work, []);
    task.resume();
    scheduler.pump();
    assert.deepEqual(work, []);
    task.resume();
    scheduler.pump();
    assert.deepEqual(work, [1]);
    task.stop();
  });

  it("needs both the yielded Deferred to fire and a resume after a pause while waiting", () => {
    doDeferNext = true;
    scheduler.pump();
    assert.equal(work.length, 1);
    assert.ok(work[0] instanceof Deferred);
    scheduler.pump();
    assert.equal(work.length, 1);
    task.pause();
    scheduler.pump();
    assert.equal(work.length, 1);
    task.resume();
    scheduler.pump();
    assert.equal(work.length, 1);
    (work[0] as Deferred<unknown>).callback("STUFF!");
    scheduler.pump();
    assert.equal(work.length, 2);
    assert.equal(work[1], 2);
    task.stop();
  });

  it("fires each whenDone Deferred with the iterator, independently, when it is exhausted", () => {
    const results1: unknown[] = [];
    const results2: unknown[] = [];
    const final1: unknown[] = [];
    const final2: unknown[] = [];
    task.whenDone().addCallback((r) => {
      results1.push(r);
      return 1;
    }).addCallback((r) => final1.push(r));
    task.whenDone().addCallback((r) => {
      results2.push(r);
      return 2;
    }).addCallback((r) => final2.push(r));
    doStopNext = true;
    scheduler.pump();
    assert.deepEqual(results1, [task.iterator]);
    assert.deepEqual(results2, [task.iterator]);
    assert.deepEqual(final1, [1]);
    assert.deepEqual(final2, [2]);
  });

  it("fails whenDone with what the iterator threw", () => {
    const results: Failure[] = [];
    task.whenDone().addErrback((f) => {
      results.push(f);
    });
    doDieNext = true;
    scheduler.pump();
    assert.equal(results.length, 1);
    assert.equal(results[0]!.check(UnhandledException), UnhandledException);
  });

  it("fails whenDone with TaskStopped when stopped", () => {
    const d = task.whenDone();
    task.stop();
    failureResultOf(d, TaskStopped);
  });

  it("fires a whenDone asked for after the task is done at once", () => {
    doStopNext = true;
    scheduler.pump();
    const results: unknown[] = [];
    task.whenDone().addCallback((r) => results.push(r));
    assert.deepEqual(results, [task.iterator]);
  });

  it("removes a stopped task from the round, and throws TaskStopped from stop and pause after", () => {
    task.whenDone().addErrback(() => {});
    task.stop();
    scheduler.pump();
    assert.deepEqual(work, []);
    assert.throws(() => task.stop(), TaskStopped);
    assert.throws(() => task.pause(), TaskStopped);
    scheduler.pump();
    assert.deepEqual(work, []);
  });

  it("does nothing when a paused and stopped task is resumed", () => {
    task.whenDone().addErrback(() => {});
    task.pause();
    task.stop();
    task.resume();
    scheduler.pump();
    assert.deepEqual(work, []);
  });

  it("does not resume a stopped task when the Deferred it waited on fires", () => {
    doDeferNext = true;
    scheduler.pump();
    const d = work.pop() as Deferred<unknown>;
    const results: unknown[] = [];
    d.addBoth((r) => results.push(r));
    scheduler.pump();
    task.whenDone().addErrback(() => {});
    task.stop();
    scheduler.pump();
    d.callback(7);
    scheduler.pump();
    // The Cooperator consumed the Deferred's result.
    assert.deepEqual(results, [undefined]);
    assert.deepEqual(work, []);
  });

  it("throws TaskDone when stopping an exhausted task", () => {
    doStopNext = true;
    scheduler.pump();
    assert.throws(() => task.stop(), TaskDone);
  });

  it("throws TaskFailed when stopping a task whose iterator threw", () => {
    task.whenDone().addErrback(() => {});
    doDieNext = true;
    scheduler.pump();
    assert.throws(() => task.stop(), TaskFailed);
  });

  it("has left the Cooperator when whenDone's callbacks run, so they may stop it", () => {
    const phases: unknown[] = [];
    task.whenDone().addCallback((r) => {
      phases.push(r);
      cooperator.stop();
      phases.push("done");
    });
    doStopNext = true;
    scheduler.pump();
    assert.deepEqual(phases, [task.iterator, "done"]);
  });
});

describe("Cooperator with a scheduler whose handle only has cancel()", () => {
  function* count(n: number, log: number[]): Generator<void> {
    for (let i = 0; i < n; i++) {
      log.push(i);
      yield;
    }
  }

  function oneUnitCooperator(): [CancelOnlyScheduler, Cooperator] {
    const sched = new CancelOnlyScheduler();
    const coop = new Cooperator({
      scheduler: sched.schedule,
      terminationPredicateFactory: ONE_UNIT_PER_STEP,
    });
    return [sched, coop];
  }

  it("pauses and resumes a task", () => {
    const [sched, coop] = oneUnitCooperator();
    const log: number[] = [];
    const task = coop.cooperate(count(3, log));
    task.pause();
    assert.equal(sched.work.every((u) => u.cancelled), true);
    sched.pump();
    assert.deepEqual(log, []);
    task.resume();
    sched.pump();
    assert.deepEqual(log, [0]);
  });

  it("stops a task, and stops the Cooperator", () => {
    const [sched, coop] = oneUnitCooperator();
    const log: number[] = [];
    const task = coop.cooperate(count(3, log));
    task.stop();
    failureResultOf(task.whenDone(), TaskStopped);
    const other = coop.cooperate(count(3, log));
    sched.pump();
    coop.stop();
    failureResultOf(other.whenDone(), SchedulerStopped);
    assert.deepEqual(log, [0]);
    assert.equal(sched.work.every((u) => u.cancelled), true);
  });

  it("completes a task, cancelling no step that already ran", () => {
    const [sched, coop] = oneUnitCooperator();
    const log: number[] = [];
    const d = coop.coiterate(count(2, log));
    for (let i = 0; i < 5 && !d.called; i++) sched.pump();
    assert.deepEqual(log, [0, 1]);
    assert.equal(d.called, true);
    assert.deepEqual(sched.work, []);
  });
});
