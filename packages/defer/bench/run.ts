/**
 * Runs `compare/deferred.ts` on Deno, Bun and Node, one runtime after the
 * other, and prints one Markdown table of the results: per runtime the
 * medians of the interleaved rounds and the Deferred's throughput relative
 * to the Promise's. Node runs the npm build (packages/defer/npm, rebuilt
 * first unless `--no-build`): the script is bundled with esbuild with
 * `@twixt/defer` left external, so that Node resolves it through
 * node_modules to the package's `node` export, as a user's program would.
 *
 * `deno run -A packages/defer/bench/run.ts [rounds] [--deep] [--no-build]`
 * (part of `npm run bench`; also runs on Bun).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as os from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Result } from "./compare/deferred.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
const bin = (name: string): string => join(root, "node_modules/.bin", name);
const args = process.argv.slice(2);
const rounds = args.find((a) => /^\d+$/.test(a)) ?? "15";
const deep = args.includes("--deep") ? ["--deep"] : [];
const script = join(here, "compare/deferred.ts");

function run(cmd: string, argv: string[]): string {
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    throw new Error(`Cannot run ${cmd} ${argv.join(" ")}: exit ${r.status}`);
  }
  return r.stdout;
}

if (!args.includes("--no-build")) {
  run(bin("deno"), ["run", "-A", "scripts/build_npm.ts", "packages/defer"]);
}
// Inside node_modules, so that Node finds @twixt/defer from there.
const out = join(root, "node_modules/.cache/twixt-bench/deferred.mjs");
mkdirSync(dirname(out), { recursive: true });
run(bin("esbuild"), [
  script,
  "--bundle",
  "--platform=node",
  "--format=esm",
  "--external:@twixt/defer",
  `--outfile=${out}`,
  "--log-level=warning",
]);

const legs: [string, string[]][] = [
  [bin("deno"), ["run", "-A", script, rounds, "--json", ...deep]],
  [bin("bun"), [script, rounds, "--json", ...deep]],
  ["node", [out, rounds, "--json", ...deep]],
];
const results: Result[] = [];
for (const [cmd, argv] of legs) {
  console.error(`${cmd.split("/").pop()} ...`);
  const lines = run(cmd, argv).trim().split("\n");
  results.push(JSON.parse(lines[lines.length - 1]!) as Result);
}

const fmt = (ns: number): string =>
  ns >= 1e6
    ? `${(ns / 1e6).toFixed(1)} ms`
    : ns >= 1e4
    ? `${(ns / 1e3).toFixed(1)} µs`
    : `${(ns / 1e3).toFixed(2)} µs`;
const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
console.log(
  `\n${
    new Date().toISOString().slice(0, 10)
  }, ${os.cpus().length} × ${cpu}; medians of ${rounds} interleaved rounds per runtime; Promise / Deferred time per item, and the Deferred's throughput relative to the Promise's (above 1× is faster). Load average (1 min) before → after each runtime: ${
    results.map((r) =>
      `${r.runtime.split(" ")[0]} ${r.load[0].toFixed(1)} → ${
        r.load[1].toFixed(1)
      }`
    ).join(", ")
  }.\n`,
);
console.log(`| case | ${results.map((r) => r.runtime).join(" | ")} |`);
console.log(`| --- |${" ---: |".repeat(results.length)}`);
for (const row of results[0]!.rows) {
  const cells = results.map((r) => {
    const x = r.rows.find((y) => y.key === row.key)!;
    return `${fmt(x.promise)} / ${fmt(x.deferred)}: **${x.ratio.toFixed(2)}×**`;
  });
  console.log(`| ${row.name} | ${cells.join(" | ")} |`);
}
console.log(
  `| heap bytes per pending item with one callback: Promise (with its resolve function) / Deferred | ${
    results.map((r) =>
      `${r.bytes.promise.toFixed(0)} (${r.bytes.resolvable.toFixed(0)}) / ${
        r.bytes.deferred.toFixed(0)
      }`
    ).join(" | ")
  } |`,
);
