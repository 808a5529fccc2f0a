/**
 * Test helpers that make this runtime look like another for the length of
 * one call: without some Node built-ins (as a browser), or with a page
 * location (as a browser, or Deno with `--location`). Each restores what
 * it changed, even when the call throws; neither uses a node: import, so
 * the tests that use them also run in the browser leg.
 *
 * @module
 */

type Getter = (id: string) => unknown;

/**
 * Runs `fn` with `process.getBuiltinModule` answering `undefined` for
 * `ids` (as where the runtime has no such module), then puts it back.
 * Where there is no `process` (a browser) `fn` runs as it is: nothing is
 * there to hide.
 */
export function withoutBuiltins<T>(ids: string[], fn: () => T): T {
  const process = (globalThis as { process?: object }).process;
  if (process === undefined) return fn();
  const saved = Object.getOwnPropertyDescriptor(process, "getBuiltinModule");
  const real = (process as { getBuiltinModule?: Getter }).getBuiltinModule;
  Object.defineProperty(process, "getBuiltinModule", {
    configurable: true,
    writable: true,
    value: (id: string) => ids.includes(id) ? undefined : real?.(id),
  });
  try {
    return fn();
  } finally {
    if (saved === undefined) {
      delete (process as { getBuiltinModule?: Getter }).getBuiltinModule;
    } else Object.defineProperty(process, "getBuiltinModule", saved);
  }
}

/**
 * Runs `fn` with `globalThis.location` a page at `href`, then puts back
 * what was there. Returns `false` without running `fn` where the runtime's
 * own location cannot be replaced (a browser, Deno with `--location`).
 */
export function withLocation(href: string, fn: () => void): boolean {
  const saved = Object.getOwnPropertyDescriptor(globalThis, "location");
  if (saved !== undefined && !saved.configurable) return false;
  Object.defineProperty(globalThis, "location", {
    configurable: true,
    writable: true,
    value: { href },
  });
  try {
    fn();
  } finally {
    if (saved === undefined) {
      delete (globalThis as { location?: unknown }).location;
    } else Object.defineProperty(globalThis, "location", saved);
  }
  return true;
}
