/**
 * Runs a TypeScript program as a child process on the runtime running this
 * code: `deno run -A` on Deno, `bun` on Bun, and on Node (which cannot run
 * TypeScript) the program bundled to JavaScript by esbuild first, with the
 * Twixt packages left as imports so that Node loads their npm builds.
 *
 * Used by main.ts (the demo) and by the tests of the examples and the docs.
 *
 * @module
 */
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The runtime running this code. */
export const runtime: "deno" | "bun" | "node" =
  (globalThis as { Deno?: unknown }).Deno !== undefined
    ? "deno"
    : process.versions["bun"] !== undefined
    ? "bun"
    : "node";

/** The repository root: the nearest ancestor whose package.json has workspaces. */
export const ROOT: string = findRoot();

/** The folder of the examples, packages/examples. */
export const EXAMPLES: string = join(ROOT, "packages", "examples");

function findRoot(): string {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    for (let dir = start;; dir = dirname(dir)) {
      const manifest = join(dir, "package.json");
      if (
        existsSync(manifest) &&
        JSON.parse(readFileSync(manifest, "utf8"))["workspaces"]
      ) {
        return dir;
      }
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("Cannot find the workspace root of Twixt");
}

/**
 * A folder for generated programs. Bun and Node resolve `@twixt/*` by
 * looking for node_modules above the file, so for them it is under
 * node_modules/.cache; Deno refuses TypeScript under node_modules, and
 * resolves `@twixt/*` through the `--config` it is given, so for Deno it is
 * in the system's temporary folder.
 */
export function scratchDir(name: string): string {
  const base = runtime === "deno"
    ? join(tmpdir(), `twixt-examples-${process.pid}`)
    : join(ROOT, "node_modules", ".cache", "twixt-examples");
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

let builds = 0;

/**
 * The command line that runs the TypeScript program `file` on this
 * runtime, and a clean-up to call once it has run.
 *
 * On Node, an example program is compiled to JavaScript with the rest of
 * packages/examples, file by file (bundling would merge two programs that
 * import each other, and each would then think it is the main module); a
 * program elsewhere (a docs block) is bundled. Either way `@twixt/defer`,
 * `@twixt/reactor` and `@twixt/web-client` stay imports, which Node
 * resolves to their npm builds. Each run gets its own folder, removed by
 * the clean-up, so runs in parallel processes do not meet.
 */
export async function command(
  file: string,
): Promise<{ argv: string[]; cleanUp: () => void }> {
  const none = (): void => {};
  if (runtime === "deno") {
    const config = join(ROOT, "deno.json");
    return {
      argv: [process.execPath, "run", "-A", "--config", config, file],
      cleanUp: none,
    };
  }
  if (runtime === "bun") {
    return { argv: [process.execPath, file], cleanUp: none };
  }
  const out = join(scratchDir("node"), `${process.pid}-${++builds}`);
  const cleanUp = (): void => rmSync(out, { recursive: true, force: true });
  const common = [
    "--format=esm",
    "--platform=node",
    "--target=node20",
    "--log-level=error",
  ];
  const inExamples = dirname(file) === EXAMPLES;
  const args = inExamples
    ? [
      ...readdirSync(EXAMPLES)
        .filter((f) => f.endsWith(".ts") && !f.endsWith("_test.ts"))
        .map((f) => join(EXAMPLES, f)),
      ...common,
      "--out-extension:.js=.mjs",
      `--outdir=${out}`,
    ]
    : [
      file,
      ...common,
      "--bundle",
      "--external:@twixt/defer",
      "--external:@twixt/reactor",
      "--external:@twixt/web-client",
      `--outfile=${join(out, basename(file, ".ts") + ".mjs")}`,
    ];
  const esbuild = await run(
    join(ROOT, "node_modules", ".bin", "esbuild"),
    args,
  );
  if (esbuild.code !== 0) {
    cleanUp();
    throw new Error(`Cannot compile ${file} for Node:\n${esbuild.stderr}`);
  }
  if (inExamples) {
    // esbuild keeps import paths as written: point ./x.ts at ./x.mjs.
    for (const f of readdirSync(out)) {
      const path = join(out, f);
      writeFileSync(
        path,
        readFileSync(path, "utf8").replace(
          /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.\.?\/[^"']+)\.ts\2/g,
          "$1$2$3.mjs$2",
        ),
      );
    }
  }
  return {
    argv: [process.execPath, join(out, basename(file, ".ts") + ".mjs")],
    cleanUp,
  };
}

/**
 * The command line a person would type to run the example `file` (a path
 * relative to the repository root) with `args` on this runtime, as the demo
 * shows it before each step. Node cannot run TypeScript, so there it names
 * the JavaScript that {@linkcode command} compiles.
 */
export function commandLine(file: string, args: string[] = []): string {
  const argv = runtime === "deno"
    ? ["deno", "run", "-A", file]
    : runtime === "bun"
    ? ["bun", file]
    : ["node", file.replace(/\.ts$/, ".mjs")];
  return [...argv, ...args].join(" ");
}

/** What a finished child process printed, and how it ended. */
export interface Outcome {
  /** The exit code; `null` when a signal ended it. */
  code: number | null;
  /** Everything written to standard output. */
  stdout: string;
  /** Everything written to standard error. */
  stderr: string;
}

/** Options of {@linkcode run} and {@linkcode runProgram}. */
export interface RunOptions {
  /** Seconds before the child is killed (it then fails with code null). */
  timeout?: number;
  /** Pass the child's output through to ours instead of collecting it. */
  inherit?: boolean;
  /** Environment variables to add to ours for the child. */
  env?: Record<string, string>;
}

/** Runs `cmd` with `args` and collects its output. */
export function run(
  cmd: string,
  args: string[],
  opts: RunOptions = {},
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: ROOT,
      stdio: opts.inherit ? "inherit" : ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (s: string) => stdout += s);
    child.stderr?.setEncoding("utf8").on("data", (s: string) => stderr += s);
    const timer = setTimeout(
      () => child.kill("SIGKILL"),
      (opts.timeout ?? 60) * 1000,
    );
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the TypeScript program `file` with `args` on this runtime. */
export async function runProgram(
  file: string,
  args: string[] = [],
  opts: RunOptions = {},
): Promise<Outcome> {
  const { argv: [cmd, ...rest], cleanUp } = await command(file);
  try {
    return await run(cmd!, [...rest, ...args], opts);
  } finally {
    cleanUp();
  }
}
