/**
 * Async context (AsyncLocalStorage, TC39 AsyncContext) carried to work that
 * runs later: the reactor's delayed calls, the task tools, inlineCallbacks,
 * and, when asked for, Deferred callbacks.
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
 * const snapshot: ContextSnapshot = als.run("request 1", captureContext);
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
type SnapshotClass = new () => ContextSnapshot;

// The source of snapshots, chosen on first use: a class to instantiate, or
// null where the runtime has no async context.
let Snapshot: SnapshotClass | null | undefined;

function load(): SnapshotClass | null {
  const tc39 = (globalThis as {
    AsyncContext?: { Snapshot?: SnapshotClass };
  }).AsyncContext?.Snapshot;
  if (typeof tc39 === "function") return tc39;
  let hooks: { AsyncResource?: AsyncResourceClass } | undefined;
  try {
    hooks = (globalThis as {
      process?: { getBuiltinModule?: (id: string) => unknown };
    }).process?.getBuiltinModule?.("node:async_hooks") as typeof hooks;
  } catch {
    hooks = undefined;
  }
  const AsyncResource = hooks?.AsyncResource;
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
  if (Snapshot === undefined) Snapshot = load();
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
