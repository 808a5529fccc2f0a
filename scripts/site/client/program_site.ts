/**
 * packages/examples/site.ts as the site's Run buttons see it: instead of
 * serving the tutorial's pages from the program, it points at the copy of
 * them the site carries (library/), and tells the page when the program's
 * reactor has shut down.
 *
 * @module
 */
import type { ProgramRun } from "./run.ts";

/** The part of the reactor that {@linkcode localSite} uses. */
export interface ShutdownTriggers {
  addSystemEventTrigger(
    phase: "after",
    event: "shutdown",
    fn: () => unknown,
  ): unknown;
}

/** The address of `path` among the site's copy of the tutorial's pages. */
export function localSite(
  reactor: ShutdownTriggers,
  path = "/",
): Promise<string> {
  const run = (globalThis as { twixtProgram?: ProgramRun }).twixtProgram!;
  reactor.addSystemEventTrigger("after", "shutdown", () => run.done());
  const page = path === "/" ? "index.html" : path.slice(1);
  return Promise.resolve(new URL(page, run.base).href);
}
