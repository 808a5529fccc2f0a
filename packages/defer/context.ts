/**
 * Async context (AsyncLocalStorage, TC39 AsyncContext) carried to work that
 * runs later: the reactor's delayed calls, the task tools, inlineCallbacks,
 * and, when asked for with {@linkcode setCallbackContext}, Deferred
 * callbacks.
 *
 * A snapshot is taken when work is scheduled and the work runs inside it,
 * as `setTimeout` and `await` do. Where the runtime offers TC39
 * `AsyncContext`, its `Snapshot` is used; otherwise `AsyncResource` from
 * `node:async_hooks` (Deno, Bun, Node), loaded once, lazily, so that no
 * browser bundle imports it. Where neither exists (browsers), there is no
 * context to carry and work runs as a plain call.
 *
 * Why `AsyncResource` and not `AsyncLocalStorage.snapshot()`: on Node 20 a
 * snapshot costs about 7 µs, an `AsyncResource` 0.04 µs to make and run
 * (Deno about 1 µs for either, Bun a few ns); see the reactor README.
 *
 * @module
 */

import { Deferred } from "./deferred.ts";

/**
 * A captured async context: {@linkcode ContextSnapshot.run} calls a
 * function inside it, as TC39's `AsyncContext.Snapshot` does.
 *
 * @example Usage
 * ```ts
 * import { captureContext, type ContextSnapshot } from "@twixt/defer";
 * import { AsyncLocalStorage } from "node:async_hooks";
 * import assert from "node:assert/strict";
 *
 * const als = new AsyncLocalStorage<string>();
 * const snapshot: ContextSnapshot = als.run("request 1", captureContext)!;
 * assert.equal(snapshot.run(() => als.getStore()), "request 1");
 * ```
 */
export interface ContextSnapshot {
  /** Calls `fn(...args)` inside the captured context, and returns its result. */
  // deno-lint-ignore no-explicit-any
  run<R>(fn: (...args: any[]) => R, ...args: unknown[]): R;
}

// The parts of node:async_hooks and of TC39 AsyncContext used here, typed
// locally so that public declarations need no @types/node.
interface AsyncResourceLike {
  runInAsyncScope<R>(
    // deno-lint-ignore no-explicit-any
    fn: (...args: any[]) => R,
    thisArg?: unknown,
    ...args: unknown[]
  ): R;
}
type AsyncResourceClass = new (type: string) => AsyncResourceLike;
interface StorageLike {
  // deno-lint-ignore no-explicit-any
  run<R>(store: unknown, fn: (...args: any[]) => R, ...args: unknown[]): R;
  enterWith(store: unknown): void;
  getStore(): unknown;
}
type StorageClass = new () => StorageLike;
type SnapshotClass = new () => ContextSnapshot;

// The source of snapshots, chosen on first use: a class to instantiate, or
// null where the runtime has no async context.
let Snapshot: SnapshotClass | null | undefined;

// node:async_hooks of the runtime `globals`, where there is one.
function asyncHooks(globals: object): {
  AsyncResource?: AsyncResourceClass;
  AsyncLocalStorage?: StorageClass;
} | undefined {
  try {
    return (globals as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }).process?.getBuiltinModule?.("node:async_hooks") as
      | ReturnType<typeof asyncHooks>
      | undefined;
  } catch {
    return undefined;
  }
}

/**
 * @internal The class of snapshots the runtime `globals` offer: TC39's
 * `AsyncContext.Snapshot` first, else one over `AsyncResource`; `null`
 * where there is neither.
 */
export function _snapshotClass(
  globals: object = globalThis,
): SnapshotClass | null {
  const tc39 = (globals as {
    AsyncContext?: { Snapshot?: SnapshotClass };
  }).AsyncContext?.Snapshot;
  if (typeof tc39 === "function") return tc39;
  const AsyncResource = asyncHooks(globals)?.AsyncResource;
  if (typeof AsyncResource !== "function") return null;
  // A subclass rather than a wrapper: one object per snapshot.
  return class ResourceSnapshot extends AsyncResource
    implements ContextSnapshot {
    constructor() {
      super("Twixt");
    }
    // deno-lint-ignore no-explicit-any
    run<R>(fn: (...args: any[]) => R, ...args: unknown[]): R {
      return args.length === 0
        ? this.runInAsyncScope(fn)
        : this.runInAsyncScope(fn, undefined, ...args);
    }
  };
}

// A way to call a function: what _isolated does, chosen on first use.
// Two fixed arguments rather than a rest parameter: this runs once per
// inlineCallbacks call, and each rest array is an allocation.
type Scope = <A, B, R>(fn: (a: A, b: B) => R, a: A, b: B) => R;
let isolate: Scope | undefined;

/**
 * @internal Calls `fn(a, b)` in the current context, so that the
 * context changes it makes (`AsyncLocalStorage.enterWith`) end with it
 * instead of leaking to the caller: what a snapshot's `run` does, without
 * taking a snapshot where a cheaper scope exists.
 *
 * On Deno a snapshot (an `AsyncResource`) costs about 0.6 µs to take and
 * 0.9 µs to run, while a private `AsyncLocalStorage.run`, which sets the
 * whole context back when it returns, costs about 0.7 µs with no snapshot
 * (each entry into a context there copies the context's map and adds a
 * WeakMap entry); it is used only after checking, once, that it does keep
 * another storage's `enterWith` inside. On Node 20 `run`
 * does not (it restores its own store only), and a first `run` turns on
 * the async hooks that slow every promise of the process, so Node, Bun
 * (whose snapshots cost a few ns) and TC39 `AsyncContext` (which has no
 * `enterWith`) use a snapshot; a browser, a plain call.
 */
export function _isolated<A, B, R>(fn: (a: A, b: B) => R, a: A, b: B): R {
  if (isolate === undefined) isolate = chooseIsolate();
  return isolate(fn, a, b);
}

function chooseIsolate(): Scope {
  if (Snapshot === undefined) Snapshot = _snapshotClass();
  const Class = Snapshot;
  if (Class === null) return (fn, a, b) => fn(a, b);
  const scope = deno() ? storageScope() : undefined;
  if (scope !== undefined) return scope;
  if (isResource(Class.prototype)) {
    return (fn, a, b) =>
      (new Class() as unknown as AsyncResourceLike).runInAsyncScope(
        fn,
        undefined,
        a,
        b,
      );
  }
  return (fn, a, b) => new Class().run(fn, a, b);
}

// Whether `x` (a snapshot, or a snapshot class's prototype) is an
// AsyncResource, whose runInAsyncScope takes the arguments directly (run
// would gather them into one more array).
function isResource(x: unknown): x is AsyncResourceLike {
  return typeof (x as Partial<AsyncResourceLike>).runInAsyncScope ===
    "function";
}

/**
 * @internal Calls `fn(a, b)` inside `snapshot`: its `run`, without the
 * rest array `run` gathers where the snapshot is an `AsyncResource`.
 */
export function _runIn<A, B, R>(
  snapshot: ContextSnapshot,
  fn: (a: A, b: B) => R,
  a: A,
  b: B,
): R {
  return isResource(snapshot)
    ? snapshot.runInAsyncScope(fn, undefined, a, b)
    : snapshot.run(fn, a, b);
}

// Whether this is Deno (its node:process says so); only used to decide
// where a private AsyncLocalStorage may be tried, see _isolated.
function deno(): boolean {
  const versions = (globalThis as {
    process?: { versions?: Record<string, string | undefined> };
  }).process?.versions;
  return typeof versions?.deno === "string";
}

// A scope made of a private AsyncLocalStorage's `run`, if `run` restores
// the whole context (another storage's enterWith inside does not leak).
function storageScope(): Scope | undefined {
  const Storage = asyncHooks(globalThis)?.AsyncLocalStorage;
  if (typeof Storage !== "function") return undefined;
  const scope = new Storage();
  const other = new Storage();
  const mark = {};
  scope.run(undefined, () => other.enterWith(mark));
  if (other.getStore() !== undefined) return undefined;
  return (fn, a, b) => scope.run(undefined, fn, a, b);
}

/**
 * Captures the current async context, to run work in it later; `undefined`
 * where the runtime has none (a browser without `AsyncContext`), where
 * work simply runs as a plain call.
 *
 * Inside a snapshot's `run`, `AsyncLocalStorage.enterWith` changes the
 * snapshot's context on Node 20 only; to keep such a change for later
 * work, capture again before `run` returns (as `inlineCallbacks` does).
 *
 * @returns A snapshot of the current context, or `undefined`.
 * @example Usage
 * ```ts
 * import { captureContext } from "@twixt/defer";
 * import { AsyncLocalStorage } from "node:async_hooks";
 * import assert from "node:assert/strict";
 *
 * const als = new AsyncLocalStorage<string>();
 * const later = als.run("A", () => captureContext());
 * assert.equal(later?.run(() => als.getStore()), "A");
 * assert.equal(als.getStore(), undefined);
 * ```
 */
export function captureContext(): ContextSnapshot | undefined {
  if (Snapshot === undefined) Snapshot = _snapshotClass();
  return Snapshot === null ? undefined : new Snapshot();
}

/**
 * Wraps `fn` so that it always runs in the context current now, as
 * `AsyncResource.bind` does (the function itself where there is no
 * context).
 *
 * @example Usage
 * ```ts
 * import { bindContext } from "@twixt/defer";
 * import { AsyncLocalStorage } from "node:async_hooks";
 * import assert from "node:assert/strict";
 *
 * const als = new AsyncLocalStorage<string>();
 * const whoAmI = als.run("A", () => bindContext(() => als.getStore()));
 * assert.equal(als.run("B", whoAmI), "A");
 * ```
 */
// deno-lint-ignore no-explicit-any
export function bindContext<F extends (...args: any[]) => unknown>(fn: F): F {
  const snapshot = captureContext();
  if (snapshot === undefined) return fn;
  return function (this: unknown, ...args: unknown[]): unknown {
    return snapshot.run(() => fn.apply(this, args));
  } as F;
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => unknown;

// The Deferred methods setCallbackContext replaces while it is on.
const ADDERS = [
  "addCallbacks",
  "addCallback",
  "addErrback",
  "addBoth",
] as const;
let originals: Record<(typeof ADDERS)[number], AnyFn> | undefined;

// `fn` to run in `snapshot`, or `fn` itself when it cannot be bound (not a
// function: the original method refuses it with its own TypeError).
function inSnapshot(snapshot: ContextSnapshot, fn: unknown): unknown {
  if (typeof fn !== "function") return fn;
  return function (this: unknown, ...args: unknown[]): unknown {
    return snapshot.run(() => fn.apply(this, args));
  };
}

/**
 * Makes every callback and errback added to a Deferred from now on run in
 * the async context (`AsyncLocalStorage`) current when it was added, as a
 * `.then` callback does, instead of in the context of whoever fires the
 * Deferred; `false` turns that off again.
 *
 * It is off by default because it costs a context capture per callback:
 * a chain of 10 callbacks takes about 5 times as long on Node, 4 times on
 * Bun and 75 times on Deno (see `bench/compare/context.ts`); and because
 * the reactor already runs every delayed call, LoopingCall, deferLater
 * and inlineCallbacks step in the context it was scheduled from, which
 * covers most Deferreds. Turn it on when Deferreds are fired from shared
 * I/O (a pooled connection, a queue) and their callbacks must see the
 * context of the code that added them. Off, it costs nothing: it replaces
 * the `add*` methods only while on.
 *
 * @param on Whether callbacks run in the context they were added in.
 * @example Usage
 * ```ts
 * import { Deferred, setCallbackContext } from "@twixt/defer";
 * import { AsyncLocalStorage } from "node:async_hooks";
 * import assert from "node:assert/strict";
 *
 * const requestId = new AsyncLocalStorage<string>();
 * setCallbackContext(true);
 * try {
 *   const d = new Deferred<string>();
 *   const seen: (string | undefined)[] = [];
 *   requestId.run("request 1", () => d.addCallback(() => seen.push(requestId.getStore())));
 *   requestId.run("connection pool", () => d.callback("data"));
 *   assert.deepEqual(seen, ["request 1"]);
 * } finally {
 *   setCallbackContext(false);
 * }
 * ```
 */
export function setCallbackContext(on: boolean): void {
  if (!on) {
    if (originals !== undefined) Object.assign(Deferred.prototype, originals);
    originals = undefined;
    return;
  }
  if (originals !== undefined) return;
  const proto = Deferred.prototype as unknown as Record<string, AnyFn>;
  const saved = {} as Record<(typeof ADDERS)[number], AnyFn>;
  for (const name of ADDERS) saved[name] = proto[name]!;
  originals = saved;
  proto.addCallbacks = function (
    this: Deferred,
    callback: unknown,
    errback?: unknown,
    opts?: unknown,
  ): unknown {
    const snapshot = captureContext();
    if (snapshot === undefined) {
      return saved.addCallbacks.call(this, callback, errback, opts);
    }
    return saved.addCallbacks.call(
      this,
      inSnapshot(snapshot, callback),
      errback == null ? errback : inSnapshot(snapshot, errback),
      opts,
    );
  };
  for (const name of ["addCallback", "addErrback", "addBoth"] as const) {
    proto[name] = function (
      this: Deferred,
      fn: unknown,
      ...args: unknown[]
    ): unknown {
      const snapshot = captureContext();
      return saved[name].call(
        this,
        snapshot === undefined ? fn : inSnapshot(snapshot, fn),
        ...args,
      );
    };
  }
}

/**
 * Whether {@linkcode setCallbackContext} is on.
 *
 * @example Usage
 * ```ts
 * import { getCallbackContext } from "@twixt/defer";
 * import assert from "node:assert/strict";
 *
 * assert.equal(getCallbackContext(), false);
 * ```
 */
export function getCallbackContext(): boolean {
  return originals !== undefined;
}
