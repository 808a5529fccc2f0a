/**
 * The error classes of the reactor and of `task`, as in Twisted's
 * `twisted.internet.error` and `twisted.internet.task`.
 *
 * Each sets `name` so that stacks and `Failure.getTraceback()` show the
 * class a caller would `trap`.
 *
 * @module
 */

/**
 * Thrown by {@linkcode IDelayedCall.cancel}, `delay` or `reset` when the
 * call has already run.
 *
 * @example Usage
 * ```ts
 * import { AlreadyCalled } from "@twixt/reactor";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const call = clock.callLater(1, () => {});
 * clock.advance(1);
 * assert.throws(() => call.cancel(), AlreadyCalled);
 * ```
 */
export class AlreadyCalled extends Error {
  /** Creates the error. */
  constructor(message = "Cannot change a delayed call that has already run") {
    super(message);
    this.name = "AlreadyCalled";
  }
}

/**
 * Thrown by {@linkcode IDelayedCall.cancel}, `delay` or `reset` when the
 * call has been cancelled.
 *
 * @example Usage
 * ```ts
 * import { AlreadyCancelled } from "@twixt/reactor";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const call = new Clock().callLater(1, () => {});
 * call.cancel();
 * assert.throws(() => call.cancel(), AlreadyCancelled);
 * ```
 */
export class AlreadyCancelled extends Error {
  /** Creates the error. */
  constructor(
    message = "Cannot change a delayed call that has been cancelled",
  ) {
    super(message);
    this.name = "AlreadyCancelled";
  }
}

/**
 * Thrown by `reactor.stop()` when the reactor is not running (or is
 * already stopping).
 *
 * @example Usage
 * ```ts
 * import { reactor, ReactorNotRunning } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => reactor.stop(), ReactorNotRunning);
 * ```
 */
export class ReactorNotRunning extends Error {
  /** Creates the error. */
  constructor(message = "Cannot stop a reactor that is not running") {
    super(message);
    this.name = "ReactorNotRunning";
  }
}

/**
 * Thrown by `reactor.run()` when the reactor is already running.
 *
 * @example Usage
 * ```ts
 * import { Reactor, ReactorAlreadyRunning } from "@twixt/reactor";
 * import assert from "node:assert/strict";
 *
 * const r = new Reactor();
 * const done = r.run();
 * assert.throws(() => r.run(), ReactorAlreadyRunning);
 * r.stop();
 * await done;
 * ```
 */
export class ReactorAlreadyRunning extends Error {
  /** Creates the error. */
  constructor(message = "Cannot run a reactor that is already running") {
    super(message);
    this.name = "ReactorAlreadyRunning";
  }
}

/**
 * A failure that asks {@linkcode react} for a particular exit code, like
 * Python's `SystemExit` in Twisted's `react`.
 *
 * @example Usage
 * ```ts
 * import { SystemExit } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SystemExit(3).code, 3);
 * ```
 */
export class SystemExit extends Error {
  /** The exit code asked for. */
  readonly code: number;
  /** Creates the error asking for exit code `code`. */
  constructor(code = 0, message = `Exit with code ${code}`) {
    super(message);
    this.name = "SystemExit";
    this.code = code;
  }
}

/**
 * The base of the Cooperator's errors: the scheduler or one of its tasks
 * was in a state that did not allow the operation.
 *
 * @example Usage
 * ```ts
 * import { SchedulerError, TaskDone } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new TaskDone() instanceof SchedulerError);
 * ```
 */
export class SchedulerError extends Error {
  /** Creates the error. */
  constructor(message = "The scheduler cannot do this now") {
    super(message);
    this.name = "SchedulerError";
  }
}

/**
 * The Cooperator was stopped while the task ran, or before it was added:
 * the task's `whenDone()` Deferreds fail with it.
 *
 * @example Usage
 * ```ts
 * import { Cooperator, SchedulerStopped } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const coop = new Cooperator({ started: false });
 * coop.stop();
 * let reason: unknown;
 * coop.coiterate([1, 2].values()).addErrback((f) => { reason = f.value; });
 * assert.ok(reason instanceof SchedulerStopped);
 * ```
 */
export class SchedulerStopped extends SchedulerError {
  /** Creates the error. */
  constructor(message = "The Cooperator was stopped") {
    super(message);
    this.name = "SchedulerStopped";
  }
}

/**
 * The task has finished (done, stopped or failed), so it can no longer be
 * paused or stopped; the base of {@linkcode TaskDone},
 * {@linkcode TaskStopped} and {@linkcode TaskFailed}.
 *
 * @example Usage
 * ```ts
 * import { TaskFinished, TaskStopped } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new TaskStopped() instanceof TaskFinished);
 * ```
 */
export class TaskFinished extends SchedulerError {
  /** Creates the error. */
  constructor(message = "The task has finished") {
    super(message);
    this.name = "TaskFinished";
  }
}

/**
 * The task has already run to completion.
 *
 * @example Usage
 * ```ts
 * import { Cooperator, TaskDone } from "@twixt/reactor/task";
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const coop = new Cooperator({ scheduler: (f) => clock.callLater(0, f) });
 * const task = coop.cooperate([1].values());
 * clock.advance(0);
 * assert.throws(() => task.pause(), TaskDone);
 * ```
 */
export class TaskDone extends TaskFinished {
  /** Creates the error. */
  constructor(message = "The task has already completed") {
    super(message);
    this.name = "TaskDone";
  }
}

/**
 * The task was stopped with `stop()`; also the reason its `whenDone()`
 * Deferreds fail with.
 *
 * @example Usage
 * ```ts
 * import { cooperate, TaskStopped } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const task = cooperate([1, 2, 3].values());
 * task.stop();
 * assert.throws(() => task.stop(), TaskStopped);
 * ```
 */
export class TaskStopped extends TaskFinished {
  /** Creates the error. */
  constructor(message = "The task was stopped") {
    super(message);
    this.name = "TaskStopped";
  }
}

/**
 * The task's iterator threw (or a Deferred it yielded failed), ending it.
 *
 * @example Usage
 * ```ts
 * import { Clock, Cooperator, TaskFailed } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const coop = new Cooperator({ scheduler: (f) => clock.callLater(0, f) });
 * const task = coop.cooperate((function* () { yield* []; throw new Error("Broken"); })());
 * task.whenDone().addErrback(() => {});
 * clock.advance(0);
 * assert.throws(() => task.stop(), TaskFailed);
 * ```
 */
export class TaskFailed extends TaskFinished {
  /** Creates the error. */
  constructor(message = "The task failed") {
    super(message);
    this.name = "TaskFailed";
  }
}

/**
 * Thrown by `CooperativeTask.resume()` on a task that is not paused.
 *
 * @example Usage
 * ```ts
 * import { cooperate, NotPaused } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const task = cooperate([1].values());
 * assert.throws(() => task.resume(), NotPaused);
 * task.stop();
 * ```
 */
export class NotPaused extends SchedulerError {
  /** Creates the error. */
  constructor(message = "Cannot resume a task that is not paused") {
    super(message);
    this.name = "NotPaused";
  }
}
