/** Whether `x` has a callable `then`, so it can be waited on as a promise. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return x !== null && (typeof x === "object" || typeof x === "function") &&
    typeof (x as PromiseLike<unknown>).then === "function";
}
