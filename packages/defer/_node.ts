/**
 * Node built-ins reached at the point of use, through
 * `process.getBuiltinModule` (Node 20.16+, Deno, Bun), never through a
 * top-level `import`, so that the package also loads in a browser.
 *
 * @module
 */

type Assert = typeof import("node:assert");

/**
 * A failed assertion: `node:assert`'s `AssertionError` where the runtime
 * has it, so test runners show it as theirs; elsewhere (a browser) an Error
 * with the same name and code.
 */
export function assertionError(opts: { message: string }): Error {
  const process = (globalThis as {
    process?: { getBuiltinModule?(id: string): unknown };
  }).process;
  const assert = process?.getBuiltinModule?.("node:assert") as
    | Assert
    | undefined;
  if (assert !== undefined) return new assert.AssertionError(opts);
  const e = new Error(opts.message);
  e.name = "AssertionError";
  Object.assign(e, { code: "ERR_ASSERTION" });
  return e;
}
