/**
 * Cooperator, cooperate and coiterate: long jobs written as iterators, run
 * in small steps that share the event loop, as in Twisted's `task`.
 *
 * @module
 */

import {
  captureContext,
  type ContextSnapshot,
  Deferred,
  fail,
  Failure,
  logError,
} from "@twixt/defer";
import {
  NotPaused,
  SchedulerStopped,
  TaskDone,
  TaskFailed,
  type TaskFinished,
  TaskStopped,
} from "./errors.ts";
import { describe } from "./delayed_call.ts";
import { reactor } from "./reactor.ts";
import { isThenable } from "./_thenable.ts";

/**
 * How a {@linkcode Cooperator} runs its steps.
 *
 * @example Usage
 * ```ts
 * import { Clock, Cooperator, type CooperatorOptions } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const opts: CooperatorOptions = {
 *   // A step each second, of one unit of work.
 *   scheduler: (step) => clock.callLater(1, step),
 *   terminationPredicateFactory: () => () => true,
 * };
 * const done: number[] = [];
 * function* work(): Generator<void> {
 *   for (const n of [1, 2, 3]) {
 *     done.push(n);
 *     yield;
 *   }
 * }
 * new Cooperator(opts).coiterate(work());
 * clock.advance(1);
 * assert.deepEqual(done, [1]);
 * clock.pump([1, 1, 1]);
 * assert.deepEqual(done, [1, 2, 3]);
 * assert.deepEqual(clock.getDelayedCalls(), []);
 * ```
 */
export interface CooperatorOptions {
  /**
   * Called at the start of each step; returns a predicate that says when
   * the step has done enough work. By default a step lasts up to 10 ms.
   */
  terminationPredicateFactory?: () => () => boolean;
  /**
   * Schedules the next step. By default the reactor's `callLater` with a
   * tiny delay, so that I/O and timers run between steps. As in Twisted,
   * the Cooperator only ever calls `cancel()` on what it returns (a
   * `DelayedCall` will do, and so will any object with a `cancel` method).
   */
  scheduler?: (step: () => void) => { cancel(): void };
  /**
   * Whether tasks run as soon as they are added (the default) or wait for
   * {@linkcode Cooperator.start}.
   */
  started?: boolean;
}

// The step length of Twisted's _Timer, in seconds.
const MAX_SLICE = 0.01;
// The delay of Twisted's default scheduler.
const EPSILON = 0.00000001;

function defaultTermination(): () => boolean {
  const end = performance.now() + MAX_SLICE * 1000;
  return () => performance.now() >= end;
}

function defaultScheduler(step: () => void): { cancel(): void } {
  return reactor.callLater(EPSILON, step);
}

/**
 * A task of a {@linkcode Cooperator}: an iterator worked on one `next()`
 * at a time, which can be paused, resumed, stopped and waited on.
 * Made by {@linkcode Cooperator.cooperate} or {@linkcode cooperate}.
 *
 * Each `next()` is one unit of work. A unit that yields a Deferred or a
 * promise pauses the task until it settles; if it fails, the task fails
 * with that failure.
 *
 * @typeParam T What the iterator yields.
 * @example Usage
 * ```ts
 * import { Clock, Cooperator } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const coop = new Cooperator({ scheduler: (step) => clock.callLater(0, step) });
 * const seen: number[] = [];
 * const task = coop.cooperate((function* () {
 *   for (let i = 0; i < 3; i++) { seen.push(i); yield; }
 * })());
 * let finished = false;
 * task.whenDone().addCallback(() => { finished = true; });
 * clock.advance(0);
 * assert.deepEqual(seen, [0, 1, 2]);
 * assert.equal(finished, true);
 * ```
 */
export class CooperativeTask<T = unknown> {
  readonly #iterator: Iterator<T>;
  readonly #cooperator: Cooperator;
  #deferreds: Deferred<Iterator<T>>[] = [];
  #pauseCount = 0;
  #completionState: TaskFinished | SchedulerStopped | undefined = undefined;
  #completionResult: Iterator<T> | Failure | undefined = undefined;
  // The async context the task was made in: its units of work run in it,
  // though all tasks share the Cooperator's steps.
  readonly #context: ContextSnapshot | undefined = captureContext();

  /** @internal Made by {@linkcode Cooperator.cooperate}. */
  constructor(iterator: Iterator<T>, cooperator: Cooperator) {
    this.#iterator = iterator;
    this.#cooperator = cooperator;
    cooperator._addTask(this);
  }

  /** The iterator this task works on. */
  get iterator(): Iterator<T> {
    return this.#iterator;
  }

  /**
   * A new Deferred that fires with the iterator when it is exhausted, or
   * fails with what it threw (or with {@linkcode TaskStopped} or
   * {@linkcode SchedulerStopped}). Each call gives a new Deferred, so
   * callbacks on one do not change what the others get.
   *
   * @example Usage
   * ```ts
   * import { cooperate } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const iterator = [1, 2, 3].values();
   * const done = await cooperate(iterator).whenDone();
   * assert.equal(done, iterator);
   * ```
   */
  whenDone(): Deferred<Iterator<T>> {
    const d = new Deferred<Iterator<T>>();
    if (this.#completionState === undefined) this.#deferreds.push(d);
    else d.callback(this.#completionResult!);
    return d;
  }

  /**
   * Stops working on the task until a matching
   * {@linkcode CooperativeTask.resume}; pauses nest.
   *
   * @throws {TaskFinished} (its subclass {@linkcode TaskDone},
   * {@linkcode TaskStopped} or {@linkcode TaskFailed}) if the task has
   * finished.
   * @example Usage
   * ```ts
   * import { Clock, Cooperator } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const coop = new Cooperator({ scheduler: (step) => clock.callLater(0, step) });
   * const seen: number[] = [];
   * const task = coop.cooperate((function* () { seen.push(1); yield; })());
   * task.pause();
   * clock.advance(0);
   * assert.deepEqual(seen, []);
   * task.resume();
   * clock.advance(0);
   * assert.deepEqual(seen, [1]);
   * ```
   */
  pause(): void {
    this.#checkFinish();
    this.#pauseCount++;
    if (this.#pauseCount === 1) this.#cooperator._removeTask(this);
  }

  /**
   * Undoes one {@linkcode CooperativeTask.pause}; when none remain, the
   * work goes on from the Cooperator's next step. Resuming a paused task
   * that has since finished does nothing.
   *
   * @throws {NotPaused} if the task is not paused.
   * @example Usage
   * ```ts
   * import { cooperate, NotPaused } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const task = cooperate([1].values());
   * task.pause();
   * task.resume();
   * assert.throws(() => task.resume(), NotPaused);
   * task.stop();
   * ```
   */
  resume(): void {
    if (this.#pauseCount === 0) throw new NotPaused();
    this.#pauseCount--;
    if (this.#pauseCount === 0 && this.#completionState === undefined) {
      this.#cooperator._addTask(this);
    }
  }

  /**
   * Stops the task for good; its `whenDone()` Deferreds fail with
   * {@linkcode TaskStopped}.
   *
   * @throws {TaskFinished} if the task had already finished.
   * @example Usage
   * ```ts
   * import { cooperate, TaskStopped } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const task = cooperate([1, 2, 3].values());
   * let reason: unknown;
   * task.whenDone().addErrback((f) => { reason = f.value; });
   * task.stop();
   * assert.ok(reason instanceof TaskStopped);
   * ```
   */
  stop(): void {
    this.#checkFinish();
    this._completeWith(new TaskStopped(), new Failure(new TaskStopped()));
  }

  /**
   * @internal Ends the task: remembers the state that later `pause` and
   * `stop` calls throw, and fires the `whenDone` Deferreds, after the task
   * has left the Cooperator (so their callbacks may stop the Cooperator).
   */
  _completeWith(
    state: TaskFinished | SchedulerStopped,
    result: Iterator<T> | Failure,
  ): void {
    if (this.#completionState !== undefined) {
      // A failure after the end (e.g. of a Deferred yielded before a
      // stop) has no one to go to; report it rather than lose it.
      if (result instanceof Failure && state instanceof TaskFailed) {
        logError(result);
      }
      return;
    }
    this.#completionState = state;
    this.#completionResult = result;
    if (this.#pauseCount === 0) this.#cooperator._removeTask(this);
    const deferreds = this.#deferreds;
    this.#deferreds = [];
    if (deferreds.length === 0 && state instanceof TaskFailed) {
      // Nobody is waiting for this task: report its failure.
      logError(result as Failure);
    }
    for (const d of deferreds) d.callback(result);
  }

  /** @internal Does one unit of work: one `next()` of the iterator. */
  _oneWorkUnit(): void {
    let step: IteratorResult<T>;
    try {
      const context = this.#context;
      step = context === undefined
        ? this.#iterator.next()
        : context.run(() => this.#iterator.next());
    } catch (e) {
      this._completeWith(new TaskFailed(), new Failure(e));
      return;
    }
    if (step.done) {
      this._completeWith(new TaskDone(), this.#iterator);
      return;
    }
    const value: unknown = step.value;
    if (value instanceof Deferred || isThenable(value)) {
      this.pause();
      const d = value instanceof Deferred ? value : Deferred.fromPromise(value);
      d.addCallbacks(
        () => this.resume(),
        (f: Failure) => this._completeWith(new TaskFailed(), f),
      );
    }
  }

  #checkFinish(): void {
    if (this.#completionState !== undefined) throw this.#completionState;
  }
}

/**
 * A cooperative task scheduler: runs many iterator-shaped jobs
 * ("tasks") a unit of work at a time, round-robin, in steps of bounded
 * length, with the event loop free between steps.
 *
 * Use {@linkcode Cooperator.cooperate} for a task to pause, resume, stop
 * and wait on, or {@linkcode Cooperator.coiterate} for just a Deferred of
 * its end. Most programs share the global one through
 * {@linkcode cooperate} and {@linkcode coiterate}.
 *
 * @example Usage
 * ```ts
 * import { Cooperator } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const coop = new Cooperator();
 * const order: string[] = [];
 * function* job(name: string) {
 *   for (let i = 0; i < 2; i++) { order.push(`${name}${i}`); yield; }
 * }
 * await Promise.all([coop.coiterate(job("a")), coop.coiterate(job("b"))]);
 * assert.deepEqual(order, ["a0", "b0", "a1", "b1"]);
 * ```
 */
export class Cooperator {
  #tasks: CooperativeTask<unknown>[] = [];
  #cursor = 0;
  readonly #terminationPredicateFactory: () => () => boolean;
  readonly #scheduler: (step: () => void) => { cancel(): void };
  #delayedCall: { cancel(): void } | undefined = undefined;
  #stopped = false;
  #started: boolean;
  #mustScheduleOnStart = false;

  /** Creates a Cooperator; see {@linkcode CooperatorOptions}. */
  constructor(opts: CooperatorOptions = {}) {
    this.#terminationPredicateFactory = opts.terminationPredicateFactory ??
      defaultTermination;
    this.#scheduler = opts.scheduler ?? defaultScheduler;
    this.#started = opts.started ?? true;
  }

  /**
   * Runs `iterator` as a task and returns a Deferred that fires with the
   * iterator when it is exhausted (or fails as the task does); the
   * Deferred given as `doneDeferred`, if any.
   *
   * @example Usage
   * ```ts
   * import { Cooperator } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * let sum = 0;
   * await new Cooperator().coiterate((function* () {
   *   for (let i = 1; i <= 100; i++) { sum += i; yield; }
   * })());
   * assert.equal(sum, 5050);
   * ```
   */
  coiterate<T>(
    iterator: Iterator<T> | Iterable<T>,
    doneDeferred: Deferred<Iterator<T>> = new Deferred(),
  ): Deferred<Iterator<T>> {
    let task: CooperativeTask<T>;
    try {
      task = this.cooperate(iterator);
    } catch (e) {
      // A Deferred was promised: bad input fails it instead of throwing.
      return fail(e);
    }
    task.whenDone().chainDeferred(doneDeferred);
    return doneDeferred;
  }

  /**
   * Runs `iterator` (or an iterable's iterator) as a task, one `next()`
   * per unit of work.
   *
   * @returns The task, to pause, resume, stop or wait on.
   * @example Usage
   * ```ts
   * import { Cooperator } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const task = new Cooperator().cooperate(["a", "b"]);
   * const it = await task.whenDone();
   * assert.equal(it.next().done, true);
   * ```
   */
  cooperate<T>(iterator: Iterator<T> | Iterable<T>): CooperativeTask<T> {
    return new CooperativeTask(toIterator(iterator), this);
  }

  /**
   * Starts running tasks: after `new Cooperator({ started: false })`, or
   * after {@linkcode Cooperator.stop} (a stopped Cooperator accepts tasks
   * again once started).
   *
   * @example Usage
   * ```ts
   * import { Cooperator } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const coop = new Cooperator({ started: false });
   * assert.equal(coop.running, false);
   * coop.start();
   * assert.equal(coop.running, true);
   * ```
   */
  start(): void {
    this.#stopped = false;
    this.#started = true;
    if (this.#mustScheduleOnStart) {
      this.#mustScheduleOnStart = false;
      this.#reschedule();
    }
  }

  /**
   * Stops running tasks: each task's `whenDone()` Deferreds fail with
   * {@linkcode SchedulerStopped}, and so do tasks added later, until
   * {@linkcode Cooperator.start}.
   *
   * @example Usage
   * ```ts
   * import { Cooperator, SchedulerStopped } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const coop = new Cooperator();
   * const done = coop.coiterate([1, 2, 3]);
   * coop.stop();
   * await assert.rejects(done.asPromise(), SchedulerStopped);
   * ```
   */
  stop(): void {
    this.#stopped = true;
    const tasks = this.#tasks;
    this.#tasks = [];
    this.#cursor = 0;
    for (const task of tasks) {
      task._completeWith(
        new SchedulerStopped(),
        new Failure(new SchedulerStopped()),
      );
    }
    this.#cancelStep();
  }

  /** Whether the Cooperator has been started and not stopped. */
  get running(): boolean {
    return this.#started && !this.#stopped;
  }

  /** @internal Puts a task (back) in the round. */
  _addTask(task: CooperativeTask<unknown>): void {
    this.#tasks.push(task);
    if (this.#stopped) {
      task._completeWith(
        new SchedulerStopped(),
        new Failure(new SchedulerStopped()),
      );
    } else {
      this.#reschedule();
    }
  }

  /** @internal Takes a task out of the round. */
  _removeTask(task: CooperativeTask<unknown>): void {
    const i = this.#tasks.indexOf(task);
    if (i < 0) return;
    this.#tasks.splice(i, 1);
    if (i < this.#cursor) this.#cursor--;
    // No work left: cancel the next step, leaving no timer behind.
    if (this.#tasks.length === 0) this.#cancelStep();
  }

  // The step is still scheduled whenever #delayedCall is set (#tick
  // clears it first), so cancel() is all the scheduler's handle needs.
  #cancelStep(): void {
    const call = this.#delayedCall;
    this.#delayedCall = undefined;
    call?.cancel();
  }

  #tick = (): void => {
    this.#delayedCall = undefined;
    const terminator = this.#terminationPredicateFactory();
    // Read #tasks afresh each round: a unit of work may stop the
    // Cooperator, which replaces the list.
    while (this.#tasks.length > 0) {
      if (this.#cursor >= this.#tasks.length) this.#cursor = 0;
      this.#tasks[this.#cursor++]!._oneWorkUnit();
      if (terminator()) break;
    }
    this.#reschedule();
  };

  #reschedule(): void {
    if (!this.#started) {
      this.#mustScheduleOnStart = true;
      return;
    }
    if (this.#delayedCall === undefined && this.#tasks.length > 0) {
      this.#delayedCall = this.#scheduler(this.#tick);
    }
  }
}

// Objects only: a string is iterable, but cooperating on its characters
// is surely a mistake (Twisted needs an iterator, which a str is not).
function toIterator<T>(x: Iterator<T> | Iterable<T>): Iterator<T> {
  if (typeof x === "object" && x !== null || typeof x === "function") {
    if (typeof (x as Iterator<T>).next === "function") return x as Iterator<T>;
    if (typeof (x as Iterable<T>)[Symbol.iterator] === "function") {
      return (x as Iterable<T>)[Symbol.iterator]();
    }
  }
  throw new TypeError(
    `Cannot cooperate on ${describe(x)}: it is not an iterator or iterable`,
  );
}

const theCooperator = new Cooperator();

/**
 * Runs `iterator` as a task of the global {@linkcode Cooperator}, which
 * shares the event loop between all such tasks.
 *
 * @returns The task, to pause, resume, stop or wait on.
 * @example Usage
 * ```ts
 * import { cooperate } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const task = cooperate((function* () {
 *   for (const word of ["one", "two", "three"]) { lines.push(word); yield; }
 * })());
 * await task.whenDone();
 * assert.deepEqual(lines, ["one", "two", "three"]);
 * ```
 */
export function cooperate<T>(
  iterator: Iterator<T> | Iterable<T>,
): CooperativeTask<T> {
  return theCooperator.cooperate(iterator);
}

/**
 * Runs `iterator` as a task of the global {@linkcode Cooperator} and
 * returns a Deferred that fires with the iterator when it is exhausted.
 *
 * @example Usage
 * ```ts
 * import { coiterate } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * let count = 0;
 * await coiterate((function* () { while (count < 1000) { count++; yield; } })());
 * assert.equal(count, 1000);
 * ```
 */
export function coiterate<T>(
  iterator: Iterator<T> | Iterable<T>,
): Deferred<Iterator<T>> {
  return theCooperator.coiterate(iterator);
}
