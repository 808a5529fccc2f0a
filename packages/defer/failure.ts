/**
 * Failure: a thrown value wrapped with what an errback needs to handle it.
 *
 * @module
 */

/**
 * Any class, as `instanceof` takes it; also its name, as Twisted allows.
 *
 * @example Usage
 * ```ts
 * import { type ErrorType, Failure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const wanted: ErrorType[] = [RangeError, "TypeError"];
 * assert.equal(new Failure(new TypeError("x")).check(...wanted), "TypeError");
 * ```
 */
// deno-lint-ignore ban-types
export type ErrorType = Function | string;

/**
 * A class whose instances can be thrown: what {@linkcode Failure.check}
 * and {@linkcode Failure.trap} narrow `value` to.
 *
 * @typeParam E The instances' type.
 * @example Usage
 * ```ts
 * import type { ErrorClass } from "@twixt/defer";
 *
 * const wanted: ErrorClass<RangeError> = RangeError;
 * ```
 */
// deno-lint-ignore no-explicit-any
export type ErrorClass<E = unknown> = abstract new (...args: any[]) => E;

/**
 * A thrown value wrapped for the errback path, like Twisted's
 * `twisted.python.failure.Failure`.
 *
 * JavaScript can throw anything, so a Failure wraps any value: `value` is
 * what was thrown and `type` its constructor. Errbacks use `check` and
 * `trap` to pick the failures they handle; a `trap` that matches nothing
 * rethrows this same Failure, so the next errback sees it unchanged.
 *
 * `Failure<E>` says what `value` is (`unknown` by default). Given one
 * class, `check` is a type guard and `trap` an assertion, so TypeScript
 * knows `value` after them: `if (f.check(HTTPError)) f.value.status`.
 *
 * @typeParam E The type of the thrown value.
 * @example Usage
 * ```ts
 * import { Failure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * const f = new Failure(new RangeError("Too far"));
 * assert.equal(f.type, RangeError);
 * assert.equal(f.check(TypeError, RangeError), RangeError);
 * assert.equal(f.getErrorMessage(), "Too far");
 * assert.throws(() => f.raiseException(), RangeError);
 * ```
 */
export class Failure<E = unknown> {
  /** The thrown value. */
  readonly value: E;
  // The stack where this Failure was made, kept only for values that carry
  // none of their own (a thrown string has no stack).
  #stack: string | undefined;

  /**
   * Wraps `value`. A Failure given a Failure takes its value; no value at
   * all means an unnamed error, since JavaScript has no "current exception"
   * to take as Python does.
   */
  constructor(value?: E | Failure<E>) {
    // The common case first: an Error, which carries its own stack and is
    // never a Failure of any copy (skips a brand lookup that misses slowly).
    if (value instanceof Error) {
      this.value = value as E;
      this.#stack = undefined;
      return;
    }
    if (value instanceof Failure) {
      this.value = value.value;
      this.#stack = value.#stack;
      return;
    }
    if (isFailure(value)) {
      // A Failure of another copy of this module: take its value.
      this.value = value.value as E;
      return;
    }
    this.value =
      (arguments.length === 0 ? new Error("Unknown failure") : value) as E;
    if (!(this.value instanceof Error) && captureStacks) {
      this.#stack = new Error().stack?.split("\n").slice(2).join("\n");
    }
  }

  /** The constructor of `value` (`undefined` for `null` and `undefined`). */
  // deno-lint-ignore ban-types
  get type(): Function | undefined {
    const v = this.value;
    if (v === null || v === undefined) return undefined;
    // deno-lint-ignore ban-types
    return (Object(v) as { constructor?: Function }).constructor;
  }

  /**
   * Returns the first of `types` that `value` is an instance of (a string
   * matches a class name anywhere in the value's class chain), else `null`.
   *
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const f = new Failure(new TypeError("x"));
   * assert.equal(f.check(RangeError, Error), Error);
   * assert.equal(f.check("TypeError"), "TypeError");
   * assert.equal(f.check(RangeError, "SyntaxError"), null);
   * ```
   *
   * @example With one class, a type guard
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * class HTTPError extends Error {
   *   constructor(readonly status: number) { super(`${status}`); }
   * }
   * const f: Failure = new Failure(new HTTPError(404));
   * if (f.check(HTTPError)) assert.equal(f.value.status, 404);
   * else assert.fail("not an HTTPError");
   * ```
   */
  check<C extends ErrorClass>(type: C): this is Failure<InstanceType<C>>;
  /**
   * Returns the first of `types` that `value` is an instance of, else
   * `null`.
   *
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Failure(new TypeError("x")).check(RangeError, TypeError), TypeError);
   * ```
   */
  check<T extends ErrorType[]>(...types: T): T[number] | null;
  check(...types: ErrorType[]): unknown {
    for (const t of types) {
      if (typeof t === "string") {
        if (classNames(this.value).includes(t)) return t;
      } else if (isInstance(this.value, t)) {
        return t;
      } else if (this.value === t) {
        return t;
      }
    }
    return null;
  }

  /**
   * Like {@linkcode Failure.check}, but when nothing matches it throws this
   * Failure, which the callback chain passes on unchanged to the next
   * errback.
   *
   * @throws {Failure} this Failure, when none of `types` match.
   * @example Usage
   * ```ts
   * import { CancelledError, Deferred } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const d = new Deferred<string>();
   * d.addErrback((f) => {
   *   f.trap(CancelledError);
   *   return "cancelled";
   * });
   * d.cancel();
   * assert.equal(d.result, "cancelled");
   * ```
   *
   * @example Narrowing `value`
   * ```ts
   * import { fail } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * class HTTPError extends Error {
   *   constructor(readonly status: number) { super(`${status}`); }
   * }
   * // trap() cannot narrow an errback's parameter (TypeScript allows
   * // assertion methods only on names with declared types); check() can:
   * const d = fail<string>(new HTTPError(503)).addErrback((f) => {
   *   if (!f.check(HTTPError)) throw f; // what f.trap(HTTPError) does
   *   return `status ${f.value.status}`; // f.value is an HTTPError here
   * });
   * assert.equal(d.result, "status 503");
   * ```
   */
  trap<T extends ErrorType[]>(...types: T): T[number] {
    const found = this.check(...types);
    if (found === null) throw this;
    return found;
  }

  /**
   * Does nothing: kept so that code written for Twisted, which calls
   * `cleanFailure()` before storing a Failure to drop its stack frames and
   * the locals they hold, runs unchanged. A JavaScript Failure holds no
   * frames: an Error's stack is a string, and a Failure of any other value
   * keeps a string too (while debugging is on).
   *
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * const f = new Failure(new Error("Disk full"));
   * f.cleanFailure();
   * assert.equal(f.getErrorMessage(), "Disk full");
   * assert.match(f.getTraceback(), /Disk full/);
   * ```
   */
  cleanFailure(): void {}

  /** Throws `value`, the original thrown value. */
  raiseException(): never {
    throw this.value;
  }

  /**
   * The message of `value`: an Error's `message`, else the value as text.
   *
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * assert.equal(new Failure(new Error("Boom")).getErrorMessage(), "Boom");
   * assert.equal(new Failure("plain").getErrorMessage(), "plain");
   * ```
   */
  getErrorMessage(): string {
    const v = this.value;
    if (v instanceof Error) return v.message;
    return safeString(v);
  }

  /**
   * The traceback: an Error's stack (which starts with its name and
   * message), else the type and message with the stack where the Failure
   * was made, when stacks are being captured.
   *
   * @example Usage
   * ```ts
   * import { Failure } from "@twixt/defer";
   * import assert from "node:assert/strict";
   *
   * assert.match(new Failure(new RangeError("Far")).getTraceback(), /^RangeError: Far/);
   * ```
   */
  getTraceback(): string {
    const v = this.value;
    if (v instanceof Error) {
      const stack = typeof v.stack === "string" ? v.stack : "";
      const head = `${v.name}: ${v.message}`;
      let text = stack.includes(v.message) ? stack : `${head}\n${stack}`;
      if (v.cause !== undefined) {
        text += `\nCaused by: ${new Failure(v.cause).getTraceback()}`;
      }
      return text;
    }
    const head = `${this.#typeName()}: ${this.getErrorMessage()}`;
    return this.#stack ? `${head}\n${this.#stack}` : head;
  }

  /** Prints the traceback with `console.error`. */
  printTraceback(): void {
    console.error(this.getTraceback());
  }

  /** Twisted's brief form: `[Failure instance: RangeError: Too far]`. */
  toString(): string {
    return `[Failure instance: ${this.#typeName()}: ${this.getErrorMessage()}]`;
  }

  #typeName(): string {
    const v = this.value;
    if (v instanceof Error) return v.name;
    return this.type?.name ?? String(v);
  }
}

// Marks Failures of every copy of this module (a bundle, or a nested
// duplicate in node_modules, may hold two), so each recognises the others'.
const FAILURE_BRAND = Symbol.for("twixt.failure");
Object.defineProperty(Failure.prototype, FAILURE_BRAND, { value: true });

/**
 * Whether `x` is a {@linkcode Failure}, from this copy of `@twixt/defer` or
 * from any other (`instanceof` only knows its own copy's class). Chains
 * turn another copy's Failures into this copy's as they pass through.
 *
 * @example Usage
 * ```ts
 * import { Failure, isFailure } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isFailure(new Failure(new Error("x"))));
 * assert.ok(!isFailure(new Error("x")));
 * ```
 */
export function isFailure(x: unknown): x is Failure {
  return x instanceof Failure ||
    (typeof x === "object" && x !== null &&
      (x as { [FAILURE_BRAND]?: unknown })[FAILURE_BRAND] === true);
}

/**
 * @internal A copy of `failure` that can be kept until its Deferred is
 * garbage-collected, to report it then (Twisted's `cleanFailure`).
 *
 * V8 keeps the receivers of the frames on an Error's stack alive as long as
 * the Error (Node until the stack is read, Deno for good), and a Deferred is
 * the receiver of the frames that run its callbacks. A report holding an
 * Error thrown in a callback would thus keep its Deferred alive, so it
 * could never be collected and reported. The copy's value, for an Error,
 * is a stand-in of the same class with the same name, message, primitive
 * fields and traceback text, and no stack frames.
 */
export function _detachedFailure(failure: Failure): Failure {
  let copy = detachedCopies.get(failure);
  if (copy === undefined) {
    try {
      copy = detach(failure);
    } catch {
      // An error whose fields throw when read: report it as it is.
      copy = failure;
    }
    detachedCopies.set(failure, copy);
  }
  return copy;
}

// Made once per Failure: a chain may stop on the same Failure many times.
const detachedCopies = new WeakMap<Failure, Failure>();

function detach(failure: Failure): Failure {
  const v = failure.value;
  if (!(v instanceof Error)) return failure;
  const standIn = Object.create(Object.getPrototypeOf(v)) as Error;
  for (const key of Object.keys(v)) {
    const x = (v as unknown as Record<string, unknown>)[key];
    if (x === null || (typeof x !== "object" && typeof x !== "function")) {
      Object.defineProperty(standIn, key, {
        value: x,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }
  const hidden = { writable: true, enumerable: false, configurable: true };
  Object.defineProperties(standIn, {
    name: { ...hidden, value: v.name },
    message: { ...hidden, value: v.message },
    // The whole traceback, causes included, since the causes are not kept.
    stack: { ...hidden, value: failure.getTraceback() },
  });
  return new Failure(standIn);
}

// Captured for non-Error values only while debugging is on; see
// setDebugging in unhandled.ts.
let captureStacks = false;

/** @internal Turns stack capture for non-Error failures on or off. */
export function _setCaptureStacks(on: boolean): void {
  captureStacks = on;
}

// instanceof, with primitives taken as their wrapper objects (as their
// names are), so that check(f.type) always matches.
// deno-lint-ignore ban-types
function isInstance(value: unknown, t: Function): boolean {
  if (value === null || value === undefined) return false;
  return Object(value) instanceof (t as new () => unknown);
}

function classNames(value: unknown): string[] {
  const names: string[] = [];
  if (value === null || value === undefined) return names;
  let proto = Object.getPrototypeOf(Object(value));
  while (proto) {
    const name = proto.constructor?.name;
    if (typeof name === "string") names.push(name);
    proto = Object.getPrototypeOf(proto);
  }
  if (value instanceof Error && !names.includes(value.name)) {
    names.push(value.name);
  }
  return names;
}

function safeString(v: unknown): string {
  try {
    if (typeof v === "object" && v !== null) {
      const s = String(v);
      if (s !== "[object Object]") return s;
      return JSON.stringify(v) ?? s;
    }
    return String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}
