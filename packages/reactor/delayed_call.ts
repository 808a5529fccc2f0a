/**
 * DelayedCall, the handle `callLater` returns, and the queue of timed calls
 * that both the reactor and the deterministic `Clock` keep.
 *
 * @module
 */

import {
  captureContext,
  type ContextSnapshot,
  type IDelayedCall,
} from "@twixt/defer";
import { TimeQueue } from "./_heap.ts";
import { AlreadyCalled, AlreadyCancelled } from "./errors.ts";

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;

const NO_ARGS: unknown[] = [];

const PENDING = 0;
const CALLED = 1;
const CANCELLED = 2;

/**
 * A call scheduled with `callLater` on the reactor or a `Clock`: Twisted's
 * `DelayedCall`. It can be cancelled, delayed and reset until it runs.
 *
 * @example Usage
 * ```ts
 * import { Clock } from "@twixt/reactor/task";
 * import assert from "node:assert/strict";
 *
 * const clock = new Clock();
 * const call = clock.callLater(5, () => {});
 * call.delay(2);
 * assert.equal(call.getTime(), 7);
 * call.reset(1);
 * assert.equal(call.getTime(), 1);
 * call.cancel();
 * assert.equal(call.active(), false);
 * ```
 */
export class DelayedCall implements IDelayedCall {
  /** @internal When the call is due, in its clock's seconds. */
  _time: number;
  /** @internal Scheduling order, for calls due at the same time. */
  _seq: number;
  /** @internal Marks calls already seen in a walk over the queue. */
  _mark = 0;
  #fn: AnyFn | undefined;
  #args: unknown[] | undefined;
  // The async context the call was scheduled in, which it runs in.
  #context: ContextSnapshot | undefined;
  #state = PENDING;
  #queue: TimedCalls;

  /** @internal Made by {@linkcode TimedCalls.schedule}. */
  constructor(
    queue: TimedCalls,
    time: number,
    seq: number,
    fn: AnyFn,
    args: unknown[],
    context: ContextSnapshot | undefined,
  ) {
    this.#queue = queue;
    this._time = time;
    this._seq = seq;
    this.#fn = fn;
    this.#args = args;
    this.#context = context;
  }

  /** The function to call, until the call has run or been cancelled. */
  // deno-lint-ignore no-explicit-any
  get func(): ((...args: any[]) => unknown) | undefined {
    return this.#fn;
  }

  /** The arguments it will be called with. */
  get args(): readonly unknown[] | undefined {
    return this.#args;
  }

  /** Whether the call has run (or is running). */
  get called(): boolean {
    return this.#state === CALLED;
  }

  /** Whether the call was cancelled. */
  get cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * When the call is due, in its clock's seconds.
   *
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * clock.advance(10);
   * assert.equal(clock.callLater(2, () => {}).getTime(), 12);
   * ```
   */
  getTime(): number {
    return this._time;
  }

  /**
   * Unschedules the call.
   *
   * @throws {AlreadyCancelled} if it was cancelled before.
   * @throws {AlreadyCalled} if it has run.
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * let ran = false;
   * clock.callLater(1, () => { ran = true; }).cancel();
   * clock.advance(1);
   * assert.equal(ran, false);
   * ```
   */
  cancel(): void {
    this.#check("cancel");
    this.#state = CANCELLED;
    this.#fn = undefined;
    this.#args = undefined;
    this.#context = undefined;
    this.#queue._remove(this);
  }

  /**
   * Moves the call `seconds` later (earlier, if negative).
   *
   * @throws {AlreadyCancelled} if it was cancelled.
   * @throws {AlreadyCalled} if it has run.
   * @throws {RangeError} if `seconds` is NaN or infinite.
   * @throws {TypeError} if `seconds` is not a number.
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const call = new Clock().callLater(1, () => {});
   * call.delay(1.5);
   * assert.equal(call.getTime(), 2.5);
   * call.cancel();
   * ```
   */
  delay(seconds: number): void {
    this.#check("delay");
    checkFinite(seconds, "delay");
    this._time += seconds;
    this.#queue._moved(this);
  }

  /**
   * Reschedules the call for `seconds` from now.
   *
   * @throws {AlreadyCancelled} if it was cancelled.
   * @throws {AlreadyCalled} if it has run.
   * @throws {RangeError} if `seconds` is NaN or infinite.
   * @throws {TypeError} if `seconds` is not a number.
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const call = clock.callLater(2, () => {});
   * clock.advance(1);
   * call.reset(3);
   * assert.equal(call.getTime(), 4);
   * call.cancel();
   * ```
   */
  reset(seconds: number): void {
    this.#check("reset");
    checkFinite(seconds, "reset");
    this._time = this.#queue.seconds() + seconds;
    this.#queue._moved(this);
  }

  /**
   * Whether the call is still scheduled: neither run nor cancelled.
   *
   * @example Usage
   * ```ts
   * import { Clock } from "@twixt/reactor/task";
   * import assert from "node:assert/strict";
   *
   * const clock = new Clock();
   * const call = clock.callLater(1, () => {});
   * assert.equal(call.active(), true);
   * clock.advance(1);
   * assert.equal(call.active(), false);
   * ```
   */
  active(): boolean {
    return this.#state === PENDING;
  }

  /** A description for debugging, like Twisted's repr. */
  toString(): string {
    const name = this.#fn?.name || (this.#fn ? "anonymous" : "");
    const due = (this._time - this.#queue.seconds()).toFixed(3);
    return `<DelayedCall [${due}s] called=${this.called} cancelled=${this.cancelled}${
      name ? ` ${name}()` : ""
    }>`;
  }

  /**
   * @internal Runs the call, which its queue has just taken off.
   * It counts as called before it runs, so that the function itself sees
   * `active() === false` and gets {@linkcode AlreadyCalled} from `cancel`.
   * It runs in the async context it was scheduled in, as `setTimeout`'s
   * callbacks do: the calls of many contexts share one runtime timer.
   */
  _invoke(): unknown {
    const fn = this.#fn!;
    const args = this.#args!;
    const context = this.#context;
    this.#state = CALLED;
    this.#fn = undefined;
    this.#args = undefined;
    this.#context = undefined;
    if (context === undefined) return args.length === 0 ? fn() : fn(...args);
    return args.length === 0 ? context.run(fn) : context.run(fn, ...args);
  }

  #check(action: string): void {
    if (this.#state === CANCELLED) {
      throw new AlreadyCancelled(
        `Cannot ${action} a delayed call that has been cancelled`,
      );
    }
    if (this.#state === CALLED) {
      throw new AlreadyCalled(
        `Cannot ${action} a delayed call that has already run`,
      );
    }
  }
}

function checkFinite(seconds: number, action: string): void {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
    throw new (typeof seconds === "number" ? RangeError : TypeError)(
      `Cannot ${action} a delayed call by ${describe(seconds)} seconds`,
    );
  }
}

/** @internal A value as an error message shows it: `"5"`, `[5]`, `true`. */
export function describe(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  try {
    return JSON.stringify(value)?.slice(0, 60) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * @internal The error for a bad number of seconds, or `undefined` if
 * `value` is a finite number, 0 or more: a TypeError for what is not a
 * number, a RangeError for NaN, a negative number or infinity. The
 * message names `action` and the argument `name`, and shows the value.
 */
export function secondsError(
  value: unknown,
  action: string,
  name: string,
): TypeError | RangeError | undefined {
  if (typeof value === "number" && value >= 0 && value !== Infinity) {
    return undefined;
  }
  return new (typeof value === "number" ? RangeError : TypeError)(
    `Cannot ${action} with ${name} ${
      describe(value)
    }: it must be a finite number of seconds, 0 or more`,
  );
}

// Checks `callLater`'s arguments, as Twisted asserts them: a function, and
// a finite delay of zero or more seconds.
function checkCallLater(delay: number, fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot schedule a call to ${describe(fn)}: it is not a function`,
    );
  }
  const error = secondsError(delay, "schedule a call", "delay");
  if (error !== undefined) throw error;
}

/**
 * @internal The pending calls of one clock (the reactor or a `Clock`), in a
 * queue by due time and scheduling order.
 *
 * Cancelling a call leaves its queue entry in place, and moving one (delay,
 * reset) adds a new entry: an entry counts only while its call is pending
 * and due at the entry's time. Stale entries are dropped when they reach
 * the top, or all at once when they outnumber the live ones, so cancel is
 * O(1) and the queue stays within twice the pending calls.
 *
 * It also counts the calls that hold the process open: all of them, except
 * those pending when {@linkcode TimedCalls.release} was last called.
 */
export class TimedCalls {
  readonly #queue = new TimeQueue<DelayedCall>();
  #pending = 0;
  #nextSeq = 0;
  #releasedBefore = 0;
  #held = 0;
  #walk = 0;
  readonly #seconds: () => number;
  readonly #onEarliest: (() => void) | undefined;
  readonly #onHeld: (() => void) | undefined;

  /**
   * @param seconds The clock's current time.
   * @param onEarliest Called when a call became the earliest by being
   * scheduled or moved (not when the earliest left).
   * @param onHeld Called when {@linkcode TimedCalls.held} changes between
   * zero and more than zero, and when the last pending call leaves.
   */
  constructor(
    seconds: () => number,
    onEarliest?: () => void,
    onHeld?: () => void,
  ) {
    this.#seconds = seconds;
    this.#onEarliest = onEarliest;
    this.#onHeld = onHeld;
  }

  /** The clock's current time. */
  seconds(): number {
    return this.#seconds();
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#pending;
  }

  /** How many pending calls hold the process open. */
  get held(): number {
    return this.#held;
  }

  /** The sequence number the next call will get. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** The earliest pending call. */
  peek(): DelayedCall | undefined {
    const queue = this.#queue;
    for (;;) {
      const call = queue.peek();
      if (call === undefined || isLive(call, queue.peekTime())) return call;
      queue.pop();
    }
  }

  /**
   * Schedules `fn(...args)` `delay` seconds from now: `callLater`.
   *
   * @throws {RangeError} if `delay` is negative, NaN or infinite.
   * @throws {TypeError} if `delay` is not a number or `fn` not a function.
   */
  schedule<A extends unknown[]>(
    delay: number,
    fn: (...args: A) => unknown,
    args: A,
  ): DelayedCall {
    checkCallLater(delay, fn);
    const call = new DelayedCall(
      this,
      this.#seconds() + delay,
      this.#nextSeq++,
      fn as AnyFn,
      // Share one empty list: fewer objects for the collector to keep.
      args.length === 0 ? NO_ARGS : args,
      captureContext(),
    );
    this.#pending++;
    if (this.#held++ === 0) this.#onHeld?.();
    this.#enter(call);
    return call;
  }

  /**
   * Takes the earliest call off the queue if it is due at `now` and was
   * scheduled before `seqLimit`; the caller runs it with `_invoke`.
   */
  takeDue(now: number, seqLimit: number = Infinity): DelayedCall | undefined {
    const call = this.peek();
    if (call === undefined || call._time > now || call._seq >= seqLimit) {
      return undefined;
    }
    this.#queue.pop();
    this.#left(call);
    return call;
  }

  /** Stops counting the calls pending now as holding the process open. */
  release(): void {
    this.#releasedBefore = this.#nextSeq;
    if (this.#held === 0) return;
    this.#held = 0;
    this.#onHeld?.();
  }

  /** The pending calls, earliest first. */
  calls(): DelayedCall[] {
    const out: DelayedCall[] = [];
    const walk = ++this.#walk;
    this.#queue.forEach((call, time) => {
      if (isLive(call, time) && call._mark !== walk) {
        call._mark = walk;
        out.push(call);
      }
    });
    return out.sort((a, b) => a._time - b._time || a._seq - b._seq);
  }

  /** @internal A pending call was cancelled (its entry goes stale). */
  _remove(call: DelayedCall): void {
    this.#left(call);
    this.#compact();
  }

  /** @internal A pending call's time changed: it gets a new entry. */
  _moved(call: DelayedCall): void {
    this.#enter(call);
    this.#compact();
  }

  #enter(call: DelayedCall): void {
    const queue = this.#queue;
    queue.push(call._time, call._seq, call);
    // peek() first drops stale entries that may sit above the new one.
    if (this.#onEarliest && this.peek() === call) this.#onEarliest();
  }

  #left(call: DelayedCall): void {
    const pending = --this.#pending;
    if (call._seq >= this.#releasedBefore && --this.#held === 0) {
      this.#onHeld?.();
    } else if (pending === 0) {
      this.#onHeld?.();
    }
  }

  // Drops the stale entries once they outnumber the live ones.
  #compact(): void {
    const queue = this.#queue;
    if (queue.size < 64 || queue.size < 2 * this.#pending) return;
    const walk = ++this.#walk;
    queue.rebuild((call, time) => {
      if (!isLive(call, time) || call._mark === walk) return false;
      call._mark = walk;
      return true;
    });
  }
}

// Whether a queue entry at `time` stands for `call`: the call is pending
// and due then. (A call moved away and back has two such entries; the
// first to come out runs it, and the other is then stale.)
function isLive(call: DelayedCall, time: number): boolean {
  return call._time === time && call.active();
}
