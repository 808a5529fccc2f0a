/**
 * How `npm test`, `npm run check` and `npm run build` go through turbo: each
 * runs turbo's per-package tasks (turbo.json), which call the same script
 * on one package folder, and turbo replays a task whose inputs did not
 * change from its cache instead of running it.
 *
 * The tasks run one at a time (`--concurrency=1`): the machines this runs on
 * have 2 cores, and two runtimes' test suites at once (each starting
 * servers, Chromium or Twisted) make timing-sensitive tests flaky. A failed
 * task does not stop the others, only the tasks that depend on it
 * (`--continue=dependencies-successful`).
 *
 * Turbo starts each task through npm, so it is used only where turbo, npm
 * and Node are installed; elsewhere (a clone with only Deno or only Bun) the
 * scripts run every package directly, and say so in one line.
 *
 * @module
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { mustTool, QUIET_ENV, run, tool } from "./_lib.ts";

/** Why turbo cannot run the tasks here, or undefined when it can. */
export function turboUnavailable(): string | undefined {
  if (process.env["TWIXT_NO_TURBO"]) return "TWIXT_NO_TURBO is set";
  // Inside a turbo task, a nested turbo run would be a loop.
  if (process.env["TURBO_HASH"]) return "already inside a turbo task";
  const missing = ["turbo", "npm", "node"].filter((t) => !tool(t));
  return missing.length ? `no ${missing.join(", ")} here` : undefined;
}

/**
 * Runs `turbo run <tasks>` one task at a time and returns its exit code; or,
 * where turbo cannot run, prints one line saying why and returns undefined,
 * and the caller runs the packages directly.
 */
export async function viaTurbo(
  tasks: string[],
): Promise<number | undefined> {
  const why = turboUnavailable();
  if (why) {
    console.log(`turbo not used (${why}): running every package directly`);
    return undefined;
  }
  const r = await run(mustTool("turbo"), [
    "run",
    ...tasks,
    "--concurrency=1",
    "--continue=dependencies-successful",
    // Every task's lines carry its name, in CI too, so that only the sum
    // printed after turbo starts a line with `N passed, M failed`.
    "--log-prefix=task",
  ], { env: QUIET_ENV });
  return r.code ?? 1;
}

/**
 * The counts file a package's test task writes (`.turbo/counts/<task>.json`
 * in its folder) and turbo caches as the task's output, so that a cached
 * replay still brings its counts to the closing line.
 */
export function countsFile(dir: string, task: string): string {
  return join(dir, ".turbo", "counts", `${task}.json`);
}

/** Writes `data` as JSON to `file`, making its folder. */
export function writeCounts(file: string, data: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

/** The JSON in `file`, or undefined when there is none (the task did not end). */
export function readCounts<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Removes a counts file, so that only this run's tasks (or replays) count. */
export function clearCounts(file: string): void {
  rmSync(file, { force: true });
}
