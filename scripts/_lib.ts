/**
 * Helpers shared by the repository scripts (build, test, check, sizes).
 *
 * Scripts use only `node:` built-ins so that they run under `deno run -A`
 * (how `npm test` and `deno task` start them) and, compiled by tsc, under
 * Node 20 (the tarball install test imports them).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest ancestor whose package.json has workspaces. */
export const ROOT: string = findRoot(dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start;; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && readJson(manifest)["workspaces"]) return dir;
    if (dirname(dir) === dir) {
      throw new Error(`Cannot find the workspace root above ${start}`);
    }
  }
}

/** A JSON object read from disk. */
export type Json = Record<string, any>;

/** Reads and parses a JSON file. */
export function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, "utf8"));
}

/** Path of a tool installed by the root devDependencies. */
export function bin(name: string): string {
  return join(ROOT, "node_modules", ".bin", name);
}

/** The runtime running this script. */
export const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : process.versions["bun"] !== undefined
  ? "bun"
  : "node";

/** How to get each tool when it is missing, for the one-line skip notes. */
export const HOW_TO_GET: Record<string, string> = {
  deno: "install Deno (https://deno.com) or run npm ci",
  bun: "install Bun (https://bun.sh) or run npm ci",
  node: "install Node 20 (https://nodejs.org)",
  npm: "install Node 20 with npm (https://nodejs.org)",
};

const found = new Map<string, string[] | undefined>();

/** Whether `argv` runs and exits 0 with `--version` (quietly, 30 s at most). */
function works(argv: string[]): boolean {
  const r = spawnSync(argv[0]!, [...argv.slice(1), "--version"], {
    stdio: "ignore",
    timeout: 30_000,
  });
  return r.status === 0;
}

/** Whether `path` is a script run by a JavaScript runtime (a `node` shebang). */
function isJsScript(path: string): boolean {
  if (/\.[cm]?js$/.test(path)) return true;
  const fd = openSync(path, "r");
  try {
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    return /^#!.*\bnode\b/.test(head.subarray(0, n).toString("utf8"));
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The real Node on PATH (not Bun's or Deno's `node` shim), if there is one. */
function realNode(): string | undefined {
  if (!found.has("node")) {
    // `deno task` and `bun run` put a `node` of their own on PATH.
    const probe = "process.versions.bun || process.versions.deno || 'node'";
    const r = spawnSync("node", ["-p", probe], {
      encoding: "utf8",
      timeout: 30_000,
    });
    found.set(
      "node",
      r.status === 0 && r.stdout.trim() === "node" ? ["node"] : undefined,
    );
  }
  return found.get("node")?.[0];
}

/**
 * The command line (argv prefix) that runs a tool, or undefined when it is
 * not available here. Deno and Bun are the ones running this script when
 * they are; otherwise, like every other tool, the one `npm ci` (or
 * `deno install`, `bun install`) put in node_modules/.bin, then the one on
 * PATH. A tool whose bin is a Node script runs on Node when there is one,
 * else on the runtime running this script, so `deno install` alone is enough
 * for tsc and esbuild.
 */
export function tool(name: string): string[] | undefined {
  if (name === "deno" && RUNTIME === "deno") return [process.execPath];
  if (name === "bun" && RUNTIME === "bun") return [process.execPath];
  if (name === "node") return realNode() ? ["node"] : undefined;
  if (found.has(name)) return found.get(name);
  let argv: string[] | undefined;
  const local = bin(name);
  if (existsSync(local)) {
    const target = realpathSync(local);
    if (!isJsScript(target)) argv = [target];
    else if (realNode()) argv = ["node", target];
    else if (RUNTIME === "deno") argv = [process.execPath, "run", "-A", target];
    else if (RUNTIME === "bun") argv = [process.execPath, target];
    if (argv && !works(argv)) argv = undefined;
  }
  if (!argv && works([name])) argv = [name];
  found.set(name, argv);
  return argv;
}

/** {@linkcode tool}, or an error that says how to get it. */
export function mustTool(name: string): string[] {
  const argv = tool(name);
  if (!argv) {
    throw new Error(
      `Cannot find ${name}: ${
        HOW_TO_GET[name] ?? "run npm ci or deno install"
      }`,
    );
  }
  return argv;
}

/** One folder under packages/ with its manifests. */
export interface Pkg {
  /** Folder name, e.g. `defer`. */
  dir: string;
  /** Absolute path of the folder. */
  path: string;
  /** The package's deno.json. */
  deno: Json;
  /** The package's private package.json (npm workspaces, turbo, Bun). */
  npm: Json;
  /** Whether it is published to npm: its package.json exports point into ./npm/. */
  library: boolean;
}

/** Every package under packages/, dependencies before their dependents. */
export function packages(): Pkg[] {
  const base = join(ROOT, "packages");
  const all: Pkg[] = readdirSync(base)
    .filter((d) => existsSync(join(base, d, "deno.json")))
    .sort()
    .map((dir) => {
      const path = join(base, dir);
      const npm = existsSync(join(path, "package.json"))
        ? readJson(join(path, "package.json"))
        : {};
      return {
        dir,
        path,
        deno: readJson(join(path, "deno.json")),
        npm,
        library: JSON.stringify(npm["exports"] ?? {}).includes("./npm/"),
      };
    });
  const byName = new Map(all.map((p) => [p.deno["name"] as string, p]));
  const sorted: Pkg[] = [];
  const visit = (p: Pkg, seen: Set<Pkg>): void => {
    if (sorted.includes(p) || seen.has(p)) return;
    seen.add(p);
    for (const dep of Object.keys(p.npm["dependencies"] ?? {})) {
      const d = byName.get(dep);
      if (d) visit(d, seen);
    }
    sorted.push(p);
  };
  for (const p of all) visit(p, new Set());
  return sorted;
}

/** The packages built for npm (all but the private examples). */
export function libraryPackages(): Pkg[] {
  return packages().filter((p) => p.library);
}

/**
 * The packages named by folder paths or names (`packages/defer`, `.`,
 * `defer`); all of `pool` when none is named.
 */
export function pick(names: string[], pool: Pkg[]): Pkg[] {
  return names.length
    ? names.map((d) => {
      const abs = resolve(d);
      const p = pool.find((q) => q.path === abs || q.dir === d);
      if (!p) {
        throw new Error(
          `${d} is not one of: ${pool.map((q) => q.dir).join(", ")}`,
        );
      }
      return p;
    })
    : pool;
}

/** Files below `dir` (recursively) that `keep` accepts, skipping build output. */
export function walk(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  const skip = new Set(["node_modules", "npm", ".node-test", ".turbo", "dist"]);
  const visit = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (!skip.has(name) && !name.startsWith(".")) visit(p);
      } else if (keep(p)) out.push(p);
    }
  };
  if (existsSync(dir)) visit(dir);
  return out;
}

/** Path relative to the repository root, for messages. */
export function rel(path: string): string {
  return relative(ROOT, path) || ".";
}

/** What a finished command left behind. */
export interface RunResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  /** Whether the watchdog killed it. */
  timedOut: boolean;
}

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Copy the output to our stdout as it arrives (default true). */
  stream?: boolean;
  /** Kill the command (its whole process group) after this many seconds. */
  timeout?: number;
}

/** Process groups of the commands still running, killed if we are. */
const running = new Set<number>();
let handlersInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Commands run in their own process group (so a timeout can end a test
 * runner together with the servers and children it started); when this
 * script is interrupted or terminated, it ends those groups too.
 */
function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      for (const pid of running) killGroup(pid);
      process.exit(130);
    });
  }
}

/**
 * Runs a command, streaming its stdout and stderr to our stdout while
 * collecting them for parsing. `command` is a program or an argv prefix
 * (what {@linkcode tool} returns).
 */
export function run(
  command: string | string[],
  rest: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const [cmd, ...args] = [command, rest].flat();
  const stream = opts.stream ?? true;
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    });
    installHandlers();
    if (child.pid !== undefined) running.add(child.pid);
    const chunks: string[] = [];
    const take = (b: Buffer): void => {
      const s = b.toString("utf8");
      chunks.push(s);
      if (stream) process.stdout.write(s);
    };
    child.stdout!.on("data", take);
    child.stderr!.on("data", take);
    let timedOut = false;
    const timer = opts.timeout
      ? setTimeout(() => {
        timedOut = true;
        take(Buffer.from(`\n[killed after ${opts.timeout} s]\n`));
        if (child.pid !== undefined) killGroup(child.pid);
      }, opts.timeout * 1000)
      : undefined;
    child.on("error", (e) => {
      take(Buffer.from(`Cannot run ${cmd}: ${e.message}\n`));
    });
    child.on("close", (code) => {
      if (timer) clearTimeout(timer);
      if (child.pid !== undefined) running.delete(child.pid);
      resolve({ code, output: chunks.join(""), timedOut });
    });
  });
}

/** Runs a command and throws when it fails. */
export async function must(
  cmd: string | string[],
  args: string[],
  opts: RunOptions = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = opts.stream === false ? `\n${r.output}` : "";
    throw new Error(
      `Command failed (exit ${r.code}): ${[cmd, args].flat().join(" ")}${tail}`,
    );
  }
  return r.output;
}

/** Removes ANSI colour codes. */
export function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** Whether this module is the program's entry (Deno sets import.meta.main). */
export function isMain(meta: ImportMeta): boolean {
  return (meta as ImportMeta & { main?: boolean }).main === true;
}

/** Environment for turbo and tools that phone home. */
export const QUIET_ENV: Record<string, string> = {
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  NO_UPDATE_NOTIFIER: "1",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
};
