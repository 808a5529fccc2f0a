/**
 * `npm run bench`: every package's benchmarks, each comparison on Deno,
 * Bun and Node in turn, the two sides of each in the same process doing
 * the same work (see each script's own doc for what it measures):
 *
 * - `deno bench` over every `*_bench.ts` (single-runtime micro
 *   benchmarks; skipped with `--no-micro`);
 * - defer: `packages/defer/bench/run.ts` (Deferred against native Promise;
 *   Node runs the npm build), one Markdown table for the three runtimes;
 * - reactor: `bench/compare/time.ts` (callLater against setTimeout, Clock),
 *   `bench/compare/tcp_echo.ts` (Deno and Bun) and
 *   `bench/compare/tcp_load.ts` (Twixt against raw node:net);
 * - web-client: `bench/transports.ts` (getPage against the runtime's fetch,
 *   raw node:http and Twisted's Agent).
 *
 * Node runs a script bundled by esbuild into `node_modules/.cache`.
 *
 * ```sh
 * npm run bench                          # everything (about half an hour on 2 cores)
 * npm run bench -- web-client reactor    # some packages
 * npm run bench -- --quick               # fewer rounds (a smoke run)
 * ```
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name: string): string => join(root, "node_modules/.bin", name);
const cache = join(root, "node_modules/.cache/twixt-bench");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const packages = ["defer", "reactor", "web-client"];
const asked = args.filter((a) => !a.startsWith("--"));
for (const a of asked) {
  if (!packages.includes(a)) {
    console.error(
      `Cannot benchmark ${JSON.stringify(a)}: not one of ${
        packages.join(", ")
      }`,
    );
    process.exit(2);
  }
}
const chosen = asked.length > 0 ? asked : packages;

/** One command of the run: a title, and how to start it. */
interface Leg {
  title: string;
  cmd: string;
  argv: string[];
  env?: Record<string, string> | undefined;
}

// The script bundled for Node, `conditions` choosing the sources or the
// npm build of the workspace packages as the script's docs say.
function forNode(script: string, conditions?: string): string {
  mkdirSync(cache, { recursive: true });
  const out = join(
    cache,
    script.replaceAll("/", "_").replace(/\.ts$/, ".mjs"),
  );
  exec(bin("esbuild"), [
    join(root, script),
    "--bundle",
    "--platform=node",
    "--format=esm",
    `--outfile=${out}`,
    "--log-level=warning",
    ...(conditions ? [`--conditions=${conditions}`] : []),
  ]);
  return out;
}

// One script on each runtime listed.
function onRuntimes(
  script: string,
  argv: string[],
  runtimes: ("deno" | "bun" | "node")[],
  env?: Record<string, string>,
  conditions?: string,
): Leg[] {
  return runtimes.map((rt): Leg => {
    const title = `${script} on ${rt}`;
    if (rt === "deno") {
      return {
        title,
        cmd: bin("deno"),
        argv: ["run", "-A", script, ...argv],
        env,
      };
    }
    if (rt === "bun") {
      return { title, cmd: bin("bun"), argv: [script, ...argv], env };
    }
    return {
      title,
      cmd: "node",
      argv: [forNode(script, conditions), ...argv],
      env,
    };
  });
}

function legs(pkg: string): Leg[] {
  const all = ["deno", "bun", "node"] as ("deno" | "bun" | "node")[];
  switch (pkg) {
    case "defer":
      return [{
        title: "packages/defer/bench/run.ts (Deno, Bun, Node)",
        cmd: bin("deno"),
        argv: [
          "run",
          "-A",
          "packages/defer/bench/run.ts",
          quick ? "3" : "15",
          ...(quick ? [] : ["--deep"]),
        ],
      }];
    case "reactor":
      return [
        ...onRuntimes(
          "packages/reactor/bench/compare/time.ts",
          [quick ? "2" : "9"],
          all,
          undefined,
          "bun",
        ),
        ...onRuntimes(
          "packages/reactor/bench/compare/tcp_echo.ts",
          [quick ? "3" : "40"],
          ["deno", "bun"],
        ),
        ...onRuntimes(
          "packages/reactor/bench/compare/tcp_load.ts",
          [quick ? "1" : "3"],
          all,
        ),
      ];
    default:
      return onRuntimes(
        "packages/web-client/bench/transports.ts",
        [],
        all,
        { ROUNDS: quick ? "1" : "5" },
      );
  }
}

function exec(cmd: string, argv: string[], env?: Record<string, string>): void {
  const r = spawnSync(cmd, argv, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) {
    throw new Error(
      `Cannot run ${cmd} ${argv.join(" ")}: ${
        r.error?.message ?? `exit ${r.status}`
      }`,
    );
  }
}

const plan: Leg[] = [];
if (!args.includes("--no-micro") && !quick && asked.length === 0) {
  plan.push({
    title: "deno bench (micro)",
    cmd: bin("deno"),
    argv: ["bench", "-A", "packages/"],
  });
}
for (const pkg of chosen) plan.push(...legs(pkg));

const started = performance.now();
for (const leg of plan) {
  console.log(`\n## ${leg.title}\n`);
  exec(leg.cmd, leg.argv, leg.env);
}
console.log(
  `\n${plan.length} benchmark runs in ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s`,
);
