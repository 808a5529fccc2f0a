/**
 * The `console` of the tutorial's programs in the page (esbuild `inject`):
 * `log` prints to the Run box (see run.ts); the rest is the browser's.
 *
 * @module
 */
import type { ProgramRun } from "./run.ts";

const programConsole: Console = Object.assign(Object.create(console), {
  log: (...args: unknown[]): void => {
    const run = (globalThis as { twixtProgram?: ProgramRun }).twixtProgram;
    run?.print(args.map(String).join(" "));
  },
});
export { programConsole as console };
