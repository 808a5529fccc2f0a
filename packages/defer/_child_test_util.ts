// Test helpers: run a short program on the runtime running the tests (Deno
// and Bun on the TypeScript sources, Node on the npm build), and load a
// second copy of @twixt/defer, as a nested duplicate in node_modules is.
// The child-process runner serves the tests of other packages too (the
// reactor's process tests import it as ../defer/_child_test_util.ts): a
// relative import, which Deno, Bun and the Node leg's tsc all follow.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";

/** What a child program did. */
export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** @twixt/defer as this runtime resolves it (sources, or the npm build). */
export const DEFER_URL: string = import.meta.resolve("@twixt/defer");

// The command that runs the module `code` on this runtime, and a clean-up.
// Deno runs it from a file (under `deno eval` a SIGINT listener does not
// stop the default exit), with the workspace config so that the sources'
// `@twixt/*` imports resolve; Bun and Node run it with -e.
function runtimeCommand(code: string): [string[], () => void] {
  if ((globalThis as { Deno?: unknown }).Deno) {
    const dir = mkdtempSync(join(tmpdir(), "twixt-child-"));
    const file = join(dir, "program.mjs");
    writeFileSync(file, code);
    const config = fileURLToPath(new URL("../../deno.json", import.meta.url));
    return [
      [process.execPath, "run", "-A", "--no-check", "--config", config, file],
      () => rmSync(dir, { recursive: true, force: true }),
    ];
  }
  const none = (): void => {};
  if (process.versions["bun"]) return [[process.execPath, "-e", code], none];
  return [[process.execPath, "--input-type=module", "-e", code], none];
}

/** Sees a child's standard output as it comes, and can signal the child. */
export type OnOutput = (
  stdout: string,
  kill: (signal: NodeJS.Signals) => void,
) => void;

/**
 * Runs the ES module `code` (JavaScript) in a child process on this
 * runtime and collects its output. `onOutput` sees the output so far each
 * time more comes, to signal the child at the right moment.
 */
export function runModule(code: string, onOutput?: OnOutput): Promise<Outcome> {
  const [[cmd, ...args], cleanUp] = runtimeCommand(code);
  const child = spawn(cmd!, args, {
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
    onOutput?.(stdout, (signal) => child.kill(signal));
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  // Guards against a hang only: each child needs well under a second.
  const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      clearTimeout(guard);
      cleanUp();
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(guard);
      cleanUp();
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Runs `program` (JavaScript, with `defer` the @twixt/defer module and
 * `process` in scope) in a child process and collects its output.
 */
export function runChild(program: string): Promise<Outcome> {
  return runModule(`import process from "node:process";
const defer = await import(${JSON.stringify(DEFER_URL)});
${program}`);
}

/**
 * Copies the files of @twixt/defer (the library files only) to a temporary
 * folder and imports the copy: a second, separate copy of every class.
 */
export async function importSecondCopy(): Promise<
  [typeof import("./mod.ts"), () => void]
> {
  const from = dirname(fileURLToPath(DEFER_URL));
  const dir = mkdtempSync(join(tmpdir(), "twixt-defer-copy-"));
  cpSync(from, dir, {
    recursive: true,
    filter: (src) =>
      src === from ||
      (/\.(ts|js)$/.test(src) && !/_test(_util)?\.(ts|js)$/.test(src) &&
        dirname(src) === from),
  });
  const mod = await import(
    pathToFileURL(join(dir, basename(fileURLToPath(DEFER_URL)))).href
  );
  return [mod, () => rmSync(dir, { recursive: true, force: true })];
}
