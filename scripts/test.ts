/**
 * Runs every test on Deno, Bun and Node 20, one runtime after the other, and
 * then in headless Chromium, and ends with one line `N passed, M failed`
 * summing all four.
 *
 * - Deno: `deno test` over the package folders (`*_test.ts`), with `--doc`
 *   for the library packages so their `@example` blocks run too.
 * - Bun: `bun test` (bunfig.toml roots it at packages/).
 * - Node: builds the library packages (scripts/build_npm.ts), compiles the
 *   same `*_test.ts` files with tsc into `.node-test/`, points their relative
 *   imports of library files at the built `npm/` files (so Node tests the
 *   package as published; `@twixt/*` imports resolve through node_modules to
 *   the `node` export, the same build), and runs `node --test`. The tarball
 *   install test, scripts/pack_test.ts, runs here too.
 *
 * Counts are of leaf tests (`it`/`test` without subtests) on every runtime:
 * Bun and Node count that way; Deno counts a `describe` as one test with
 * steps, so its JUnit report is read instead of its summary line. A runtime
 * that crashes, times out, or ends without its summary counts as one failure.
 *
 * - Browser: headless Chromium runs the library tests that need no sockets,
 *   files or child processes (scripts/test_browser.ts); where Chromium is
 *   not installed, one line says so and the leg counts nothing.
 *
 * Usage: `deno run -A scripts/test.ts [--deno] [--bun] [--node] [--browser] [--no-build]
 * [--no-pack] [--timeout=SECONDS] [package-dir...]` (`npm test -- ...`).
 * Naming runtimes runs only those; naming package folders runs only their
 * tests (and skips the tarball test).
 *
 * With no argument, where turbo, npm and Node are installed, it runs
 * through turbo instead (scripts/_turbo.ts): turbo builds the libraries,
 * runs each package's `test` task (this script on that folder, all four
 * runtimes, `--counts=FILE`) and the root `test-tarball` task (the tarball
 * tests alone, `--tarball-only`), replaying from its cache the tasks whose
 * inputs did not change. Each task writes its counts to a file turbo caches
 * with it, so the closing line sums every package, run or replayed. With
 * arguments, with `--no-turbo`, or without turbo or npm (a Deno-only or
 * Bun-only clone: `deno task test`, `bun run test`), it runs directly.
 *
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { build } from "./build_npm.ts";
import { runBrowserTests } from "./test_browser.ts";
import {
  HOW_TO_GET,
  libraryPackages,
  packages,
  pick,
  type Pkg,
  rel,
  ROOT,
  run,
  type RunResult,
  stripAnsi,
  tool,
  walk,
} from "./_lib.ts";
import {
  clearCounts,
  countsFile,
  readCounts,
  viaTurbo,
  writeCounts,
} from "./_turbo.ts";

/** Leaf-test counts. */
interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** What one runtime reported. */
interface Tally extends Counts {
  runtime: string;
  seconds: number;
  notes: string[];
}

const args = process.argv.slice(2);
const flag = (f: string): boolean => args.includes(f);
/** Where to write this run's counts (a turbo task's cached output). */
const countsArg = args.find((a) => a.startsWith("--counts="))?.slice(9);
/** Only the tarball tests (turbo's root `test-tarball` task). */
const tarballOnly = flag("--tarball-only");
const timeoutArg = args.find((a) => a.startsWith("--timeout="));
const TIMEOUT = timeoutArg ? Number(timeoutArg.split("=")[1]) : 30 * 60;
const ALL = ["deno", "bun", "node", "browser"];
const runtimes = tarballOnly ? ["node"] : ALL.filter((r) => flag(`--${r}`));
const wanted = runtimes.length ? runtimes : ALL;
const dirArgs = args.filter((a) => !a.startsWith("--"));
const selected: Pkg[] = tarballOnly ? [] : pick(dirArgs, packages());
const withPack = tarballOnly || (!dirArgs.length && !flag("--no-pack"));
// One folder per selection, so that turbo's per-package runs do not collide.
const NODE_TEST_DIR = join(
  ROOT,
  ".node-test",
  tarballOnly
    ? "tarball"
    : dirArgs.length
    ? selected.map((p) => p.dir).join("+")
    : "all",
);
/** Runtimes and tests not run for want of a tool, for the summary. */
const skipped: string[] = [];
const reports = mkdtempSync(join(tmpdir(), "twixt-test-"));

const isTest = (p: string): boolean => p.endsWith("_test.ts");
const testFiles = (p: Pkg): string[] => walk(p.path, isTest);
const hasTs = (p: Pkg): boolean =>
  walk(p.path, (f) => f.endsWith(".ts")).length > 0;

function banner(s: string): void {
  console.log(
    `\n${"=".repeat(20)} ${s} ${"=".repeat(Math.max(0, 50 - s.length))}`,
  );
}

/**
 * Adds one command's counts to the tally. A command that timed out, ended
 * without its summary, or exited non-zero with no failure counted adds one
 * failure, so a crash can never pass for green.
 */
function settle(
  t: Tally,
  c: Counts,
  r: RunResult,
  summary: string | undefined,
  label: string,
): void {
  let failed = c.failed;
  if (r.timedOut) t.notes.push(`${label}: killed after ${TIMEOUT} s`);
  else if (summary === undefined) {
    t.notes.push(`${label}: ended without a summary`);
  } else if (r.code !== 0 && failed === 0) {
    t.notes.push(`${label}: exit code ${r.code}`);
  }
  if (r.timedOut || summary === undefined || r.code !== 0) {
    failed = Math.max(failed, 1);
  }
  if (summary) t.notes.push(`${label}: ${summary}`);
  t.passed += c.passed;
  t.failed += failed;
  t.skipped += c.skipped;
}

// ---------------------------------------------------------------- Deno

function decodeXml(s: string): string {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'").replace(/&amp;/g, "&");
}

/**
 * Leaf counts from a Deno JUnit report. Steps (node:test `it` inside
 * `describe`) are listed with their full path `outer > inner > leaf`; a case
 * is a leaf when no other case extends its path. A parent that failed with no
 * failing descendant (a hook or sanitizer error) counts as a failure too.
 */
function countJunit(xml: string): Counts & { topFailed: number } {
  const cases: { name: string; failed: boolean; skipped: boolean }[] = [];
  const re = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const name = decodeXml(/\bname="([^"]*)"/.exec(m[1]!)?.[1] ?? "");
    const body = m[2] ?? "";
    cases.push({
      name,
      failed: /<failure\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  const names = cases.map((c) => c.name);
  const under = (n: string): boolean =>
    names.some((o) => o.startsWith(`${n} > `));
  let passed = 0, failed = 0, skipped = 0, topFailed = 0;
  for (const c of cases) {
    if (c.failed && !names.some((o) => c.name.startsWith(`${o} > `))) {
      topFailed++;
    }
    if (under(c.name)) {
      const childFailed = cases.some((o) =>
        o.failed && o.name.startsWith(`${c.name} > `)
      );
      if (c.failed && !childFailed) failed++;
    } else if (c.failed) failed++;
    else if (c.skipped) skipped++;
    else passed++;
  }
  return { passed, failed, skipped, topFailed };
}

const newTally = (runtime: string): Tally => ({
  runtime,
  passed: 0,
  failed: 0,
  skipped: 0,
  seconds: 0,
  notes: [],
});

/**
 * One `deno test` per package, so that a type error in one package (which
 * stops `deno test` before any test runs) does not hide the others' results.
 * Library packages run with `--doc` so their `@example` blocks run too.
 */
async function denoLeg(): Promise<Tally> {
  const t = newTally("deno");
  const deno = tool("deno")!;
  for (const p of selected) {
    const doc = p.library && hasTs(p);
    if (!doc && !testFiles(p).length) continue;
    const junit = join(reports, `deno-${p.dir}.xml`);
    const r = await run(deno, [
      "test",
      "-A",
      "--permit-no-files",
      "--v8-flags=--expose-gc",
      `--junit-path=${junit}`,
      ...(doc ? ["--doc"] : []),
      rel(p.path),
    ], { timeout: TIMEOUT });
    const out = stripAnsi(r.output);
    const summary = /^(ok|FAILED) \| .*$/m.exec(out)?.[0]
      .replace(/\s*\((\d+m)?[\d.]+m?s\)$/, "");
    const c = existsSync(junit)
      ? countJunit(readFileSync(junit, "utf8"))
      : { passed: 0, failed: 0, skipped: 0, topFailed: 0 };
    // A module that throws while loading fails in the summary but has no
    // case in the report: count the summary's failures the report lacks.
    const top = Number(/\| (\d+) failed/.exec(summary ?? "")?.[1] ?? 0);
    c.failed += Math.max(0, top - c.topFailed);
    settle(t, c, r, summary, p.dir);
  }
  return t;
}

// ---------------------------------------------------------------- Bun

async function bunLeg(): Promise<Tally> {
  const t = newTally("bun");
  const dirs = selected.filter((p) => testFiles(p).length);
  if (!dirs.length) return t;
  const bun = tool("bun")!;
  const r = await run(bun, [
    "test",
    "--isolate",
    "--timeout=120000",
    ...(dirArgs.length ? dirs.map((p) => `./${rel(p.path)}`) : []),
  ], { timeout: TIMEOUT });
  const out = stripAnsi(r.output);
  const n = (word: string): number =>
    Number(new RegExp(`^\\s*(\\d+) ${word}$`, "m").exec(out)?.[1] ?? 0);
  settle(
    t,
    {
      passed: n("pass"),
      // A file that fails to load counts as a fail and an error.
      failed: Math.max(n("fail"), n("errors?")),
      skipped: n("skip") + n("todo"),
    },
    r,
    /^Ran \d+ tests? across \d+ files?/m.exec(out)?.[0],
    "bun test",
  );
  return t;
}

// ---------------------------------------------------------------- Node

const SPEC_RE = /((?:\bfrom\s*|\bimport\s*\(?\s*)["'])(\.\.?\/[^"']+)(["'])/g;

/**
 * Points relative imports in compiled test code at the built package files
 * (packages/<p>/npm/...) when one exists, so that Node tests the build and
 * every module is loaded once, whichever way it is imported.
 */
function retarget(file: string): void {
  const js = readFileSync(file, "utf8");
  const out = js.replace(
    SPEC_RE,
    (all, pre: string, spec: string, post: string) => {
      const target = resolve(dirname(file), spec);
      const fromPkgs = relative(join(NODE_TEST_DIR, "packages"), target);
      if (fromPkgs.startsWith("..")) return all;
      const [pkgDir, ...rest] = fromPkgs.split(sep);
      const built = join(ROOT, "packages", pkgDir!, "npm", ...rest);
      if (!existsSync(built)) return all;
      let r = relative(dirname(file), built).split(sep).join("/");
      if (!r.startsWith(".")) r = `./${r}`;
      return `${pre}${r}${post}`;
    },
  );
  if (out !== js) writeFileSync(file, out);
}

async function nodeLeg(): Promise<Tally> {
  const t = newTally("node");
  const version = (await run("node", ["--version"], { stream: false })).output
    .trim();
  if (!version.startsWith("v20.")) t.notes.push(`node ${version}, not 20`);
  if (!flag("--no-build")) {
    // Every library package, each on its own: tests import across packages.
    for (const p of libraryPackages()) {
      try {
        await build([p.path]);
      } catch (e) {
        console.log(e instanceof Error ? e.message : e);
        t.notes.push(`npm build of ${p.dir} failed`);
        t.failed += 1;
      }
    }
  }
  const sources = selected.flatMap(testFiles);
  if (withPack && tool("npm")) {
    sources.push(join(ROOT, "scripts", "pack_test.ts"));
    sources.push(join(ROOT, "scripts", "types_test.ts"));
  } else if (withPack) {
    skipped.push(`the tarball test (no npm: ${HOW_TO_GET["npm"]})`);
  }
  if (!sources.length) return t;

  rmSync(NODE_TEST_DIR, { recursive: true, force: true });
  const tscArgv = tool("tsc")!;
  const tsc = await run(tscArgv, [
    "--ignoreConfig",
    "--noCheck",
    "--pretty",
    "false",
    "--rootDir",
    ROOT,
    "--outDir",
    NODE_TEST_DIR,
    "--target",
    "es2022",
    "--module",
    "nodenext",
    "--moduleResolution",
    "nodenext",
    "--rewriteRelativeImportExtensions",
    "--allowImportingTsExtensions",
    "--verbatimModuleSyntax",
    "--skipLibCheck",
    "--sourceMap",
    ...sources,
  ]);
  if (tsc.code !== 0) {
    t.notes.push("tsc could not compile the tests");
    t.failed += 1;
    return t;
  }
  writeFileSync(
    join(NODE_TEST_DIR, "package.json"),
    '{ "type": "module", "private": true }\n',
  );
  for (const file of walk(NODE_TEST_DIR, (p) => p.endsWith(".js"))) {
    retarget(file);
  }
  // Fixtures beside the tests (anything but TypeScript and manifests).
  for (const p of selected) {
    for (
      const f of walk(p.path, (x) => !/\.ts$|\/(deno|package)\.json$/.test(x))
    ) {
      const to = join(NODE_TEST_DIR, relative(ROOT, f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
  }

  const compiled = sources.map((s) =>
    join(NODE_TEST_DIR, relative(ROOT, s).replace(/\.ts$/, ".js"))
  );
  const tap = join(reports, "node.tap");
  const r = await run("node", [
    "--expose-gc",
    "--enable-source-maps",
    "--test",
    "--test-concurrency=1",
    "--test-timeout=120000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...compiled.map((c) => relative(ROOT, c)),
  ], { timeout: TIMEOUT });
  const report = existsSync(tap) ? readFileSync(tap, "utf8") : "";
  const n = (word: string): number =>
    Number(new RegExp(`^# ${word} (\\d+)$`, "m").exec(report)?.[1] ?? 0);
  const summary = /^# tests \d+$/m.test(report)
    ? `# tests ${n("tests")}, # suites ${n("suites")}`
    : undefined;
  settle(
    t,
    {
      passed: n("pass"),
      failed: n("fail") + n("cancelled"),
      skipped: n("skipped") + n("todo"),
    },
    r,
    summary,
    "node --test",
  );
  return t;
}

// ---------------------------------------------------------------- Browser

/** Headless Chromium, through scripts/test_browser.ts (library packages). */
async function browserLeg(): Promise<Tally> {
  const dirs = selected.filter((p) => p.library).map((p) => p.path);
  if (dirArgs.length && !dirs.length) return newTally("browser");
  const c = await runBrowserTests(dirArgs.length ? dirs : [], TIMEOUT);
  return { ...newTally("browser"), ...c };
}

const legs: Record<string, () => Promise<Tally>> = {
  deno: denoLeg,
  bun: bunLeg,
  node: nodeLeg,
  browser: browserLeg,
};

// ---------------------------------------------------------------- main

/** What a test run writes with `--counts` and the turbo run sums. */
interface CountsFile {
  tallies: Tally[];
  skipped: string[];
  /** When the run ended (ms since the epoch): a replay's is older. */
  ended: number;
}

/** Prints the summary rows, the skip line and the closing line; the exit code. */
function summarize(
  rows: [string, Tally][],
  skips: string[],
  notes: string[] = [],
): number {
  banner("summary");
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  for (const [label, t] of rows) {
    const cell = (n: number, w: string): string =>
      `${String(n).padStart(5)} ${w}`;
    console.log(
      `${label.padEnd(width)}${t.runtime.padEnd(7)}${cell(t.passed, "pass")}${
        cell(t.failed, "fail")
      }${cell(t.skipped, "skip")}  ${t.seconds.toFixed(1).padStart(6)} s`,
    );
    for (const note of t.notes) console.log(`${" ".repeat(width + 8)}${note}`);
  }
  if (skips.length) console.log(`skipped: ${[...new Set(skips)].join("; ")}`);
  for (const note of notes) console.log(note);
  const passed = rows.reduce((a, [, t]) => a + t.passed, 0);
  const failed = rows.reduce((a, [, t]) => a + t.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

/**
 * `npm test` with no argument: turbo runs each package's test task and the
 * tarball task (or replays them from its cache), then the counts files of
 * all of them are summed. A task that left no counts (it crashed, or a build
 * it needs failed) counts as one failure.
 */
async function testViaTurbo(): Promise<number | undefined> {
  const tasks: [string, string][] = [
    ...packages().filter((p) => p.npm["scripts"]?.["test"]).map((
      p,
    ): [string, string] => [p.dir, countsFile(p.path, "test")]),
    ["tarball", countsFile(ROOT, "test-tarball")],
  ];
  for (const [, file] of tasks) clearCounts(file);
  const started = Date.now();
  const code = await viaTurbo(["test", "//#test-tarball"]);
  if (code === undefined) return undefined;
  const rows: [string, Tally][] = [];
  const skips: string[] = [];
  const replayed: string[] = [];
  for (const [label, file] of tasks) {
    const c = readCounts<CountsFile>(file);
    if (c && c.ended < started) replayed.push(label);
    if (!c) {
      rows.push([`${label} `, {
        ...newTally("-"),
        failed: 1,
        notes: [`no counts from its turbo task (${rel(file)})`],
      }]);
      continue;
    }
    // A runtime that had nothing of this package to run gets no row.
    for (const t of c.tallies) {
      if (t.passed || t.failed || t.skipped || t.notes.length) {
        rows.push([`${label} `, t]);
      }
    }
    skips.push(...c.skipped);
  }
  if (code !== 0 && !rows.some(([, t]) => t.failed)) {
    rows.push(["turbo ", {
      ...newTally("-"),
      failed: 1,
      notes: [`turbo exited with ${code} and no test failed`],
    }]);
  }
  const note = replayed.length
    ? [`replayed from turbo's cache: ${replayed.join(", ")}`]
    : [];
  return summarize(rows, skips, note);
}

if (!args.length) {
  const code = await testViaTurbo();
  if (code !== undefined) {
    rmSync(reports, { recursive: true, force: true });
    process.exit(code);
  }
}

/**
 * What each runtime's leg needs; a runtime whose tools are missing (a clone
 * with only Deno or only Bun) is skipped, and the summary says so in one line.
 */
const needs: Record<string, string[]> = {
  deno: ["deno"],
  bun: ["bun"],
  node: ["node", "tsc"],
};
const tallies: Tally[] = [];
for (const name of wanted) {
  const missing = (needs[name] ?? []).filter((n) => !tool(n));
  if (missing.length) {
    skipped.push(
      `${name} (no ${missing.join(", ")}: ${
        HOW_TO_GET[missing[0]!] ?? "run npm ci"
      })`,
    );
    continue;
  }
  banner(name);
  const t0 = performance.now();
  let t: Tally;
  try {
    t = await legs[name]!();
  } catch (e) {
    console.log(e instanceof Error ? e.stack : e);
    t = { ...newTally(name), failed: 1, notes: ["crashed"] };
  }
  t.seconds = (performance.now() - t0) / 1000;
  tallies.push(t);
}
rmSync(reports, { recursive: true, force: true });

if (countsArg) {
  const counts: CountsFile = { tallies, skipped, ended: Date.now() };
  writeCounts(resolve(countsArg), counts);
}
process.exit(summarize(tallies.map((t): [string, Tally] => ["", t]), skipped));
