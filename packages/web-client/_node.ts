/**
 * What the runtime has, reached at the point of use: Node built-ins come
 * from `process.getBuiltinModule` (Node 20.16+, Deno, Bun), never from a
 * top-level `import`, so that the package also loads in a browser.
 *
 * @module
 */

/**
 * A Node built-in module (`"node:fs/promises"`), or undefined where the
 * runtime has none: a browser, or Node before 20.16.
 */
export function builtin<T>(id: string): T | undefined {
  const process = (globalThis as {
    process?: { getBuiltinModule?(id: string): unknown };
  }).process;
  return process?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * `url` resolved against the page's address where there is one (a browser,
 * or Deno run with `--location`), so that `getPage("/data.json")` works
 * there. Elsewhere, or when `url` is absolute, not a string, or holds a
 * control character or space, `url` as given, for the URL check to judge.
 */
export function againstPage(url: string): string {
  const page = globalThis as { location?: { href?: string } };
  return againstBase(url, page.location?.href);
}

/** {@linkcode againstPage} with the base given: `url` resolved against it. */
export function againstBase(url: string, base: string | undefined): string {
  if (base === undefined || typeof url !== "string") return url;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x20\x7f]/.test(url)) return url;
  try {
    new URL(url);
    return url;
  } catch {
    // Relative: resolved below.
  }
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}
