/**
 * The static checks and release gates; any failure fails the command.
 *
 * 1. `deno check` (with the libraries' `@example` blocks), `deno lint`,
 *    `deno fmt --check`;
 * 2. `tsc -p tsconfig.json` (strict; Node's types, no Deno's);
 * 3. one version across every package, and sibling dependencies as `^X.Y.Z`;
 * 4. `deno doc --lint` of each library entry point alone (as JSR scores a
 *    package), and `deno publish --dry-run` from the root, which must
 *    publish the three libraries and nothing else (per package when package
 *    folders are named);
 * 5. every link of the libraries' source READMEs (published as they are on
 *    JSR) works on a registry's page;
 * 6. the npm build: every link of the published READMEs works on a
 *    registry's page, `import "@twixt/defer/testing"` survives bundling
 *    (sideEffects), the sizes table in README.md is the measured one, and
 *    `publint` and `attw --profile esm-only` pass on each tarball.
 *
 * A gate whose tool is missing (a clone with only Deno or only Bun: no npm,
 * no Node) is skipped, and the summary says so in one line.
 *
 * Usage: `deno run -A scripts/check.ts [--no-build] [--root | package-dir...]`
 * (`npm run check`, `deno task check`). Package folders narrow the checks to
 * the gates of those packages; `--root` runs only the repository-wide ones
 * (scripts/ checked, linted and formatted, tsc, one version, the root
 * publish dry-run and the sizes table); `--no-build` packs the existing npm
 * builds (turbo builds them first).
 *
 * With no argument, where turbo, npm and Node are installed, it runs through
 * turbo (scripts/_turbo.ts): each package's `check` task (this script on
 * that folder) and the root `check-root` task (`--root`), after the npm
 * builds, replaying from its cache every task whose inputs did not change.
 * Elsewhere (`--no-turbo`, a Deno-only or Bun-only clone) it runs every gate
 * directly.
 *
 * @module
 */
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brokenLinks, build, denoExports } from "./build_npm.ts";
import { pack } from "./pack.ts";
import { readmeTable, sizesTable } from "./sizes.ts";
import {
  HOW_TO_GET,
  libraryPackages,
  mustTool,
  packages,
  pick,
  type Pkg,
  rel,
  ROOT,
  run,
  stripAnsi,
  tool,
} from "./_lib.ts";
import { viaTurbo } from "./_turbo.ts";

if (process.argv.length === 2) {
  const code = await viaTurbo(["check", "//#check-root"]);
  if (code !== undefined) process.exit(code);
}

const dirArgs = process.argv.slice(2).filter((a) => !a.startsWith("--"));
/** Only the repository-wide gates (turbo's root `check-root` task). */
const rootOnly = process.argv.includes("--root");
/** Whether the repository-wide gates run (not with package folders). */
const repoWide = !dirArgs.length;
const all = packages();
const selected: Pkg[] = rootOnly ? [] : pick(dirArgs, all);
const libraries = selected.filter((p) => p.library);
const scope = rootOnly
  ? ["scripts"]
  : dirArgs.length
  ? selected.map((p) => rel(p.path))
  : [];

const results: { name: string; ok: boolean; seconds: number }[] = [];
/** Gates not run for want of a tool (a clone with only Deno or Bun). */
const skipped: string[] = [];

/** The tools a gate needs, or a skip note (and false) when one is missing. */
function have(gateName: string, ...tools: string[]): boolean {
  const missing = tools.filter((t) => !tool(t));
  if (missing.length) {
    skipped.push(
      `${gateName} (no ${missing.join(", ")}: ${
        HOW_TO_GET[missing[0]!] ?? "run npm ci"
      })`,
    );
  }
  return missing.length === 0;
}

/** Runs one gate: a command, or a function that returns an error list. */
async function gate(
  name: string,
  body: () => Promise<string[] | number | null>,
): Promise<void> {
  console.log(`\n── ${name}`);
  const t0 = performance.now();
  let ok: boolean;
  try {
    const r = await body();
    ok = Array.isArray(r) ? r.length === 0 : r === 0;
    if (Array.isArray(r)) { for (const e of r) console.log(`  ✗ ${e}`); }
  } catch (e) {
    console.log(e instanceof Error ? e.message : e);
    ok = false;
  }
  const seconds = (performance.now() - t0) / 1000;
  results.push({ name, ok, seconds });
  console.log(ok ? `  ok (${seconds.toFixed(1)} s)` : `  FAILED: ${name}`);
}

const cmd = async (
  c: string | string[],
  a: string[],
  cwd = ROOT,
): Promise<number | null> => (await run(c, a, { cwd })).code;

const deno = mustTool("deno");
// `--doc` type-checks the @example blocks of the libraries; the examples
// package's module docs are prose, not code.
const docDirs = selected.filter((p) => p.library).map((p) => rel(p.path));
const plainDirs = [
  ...selected.filter((p) => !p.library).map((p) => rel(p.path)),
  ...(repoWide ? ["scripts"] : []),
];
await gate("deno check", async () => {
  let failed = 0;
  if (docDirs.length) {
    failed ||= (await cmd(deno, ["check", "--doc", ...docDirs])) ?? 1;
  }
  if (plainDirs.length) {
    failed ||= (await cmd(deno, ["check", ...plainDirs])) ?? 1;
  }
  return failed;
});
await gate("deno lint", () => cmd(deno, ["lint", ...scope]));
await gate("deno fmt --check", () => cmd(deno, ["fmt", "--check", ...scope]));
if (repoWide && have("tsc -p tsconfig.json", "tsc")) {
  await gate(
    "tsc -p tsconfig.json",
    () => cmd(mustTool("tsc"), ["-p", "tsconfig.json", "--pretty", "false"]),
  );
}

if (repoWide) {
  await gate("one version for all packages", () => {
    const errors: string[] = [];
    const version = all[0]?.deno["version"];
    const names = new Set(all.map((p) => p.deno["name"]));
    for (const p of all) {
      const where = rel(p.path);
      if (p.deno["version"] !== version) {
        errors.push(
          `${where}/deno.json has ${p.deno["version"]}, not ${version}`,
        );
      }
      if (p.npm["version"] !== version) {
        errors.push(
          `${where}/package.json has ${p.npm["version"]}, not ${version}`,
        );
      }
      if (p.npm["name"] !== p.deno["name"]) {
        errors.push(`${where}: package.json and deno.json names differ`);
      }
      for (const [dep, v] of Object.entries(p.npm["dependencies"] ?? {})) {
        if (names.has(dep) && v !== `^${version}`) {
          errors.push(
            `${where}/package.json wants ${dep}@${v}, not ^${version}`,
          );
        }
      }
    }
    console.log(`  version ${version} in ${all.length} packages`);
    return Promise.resolve(errors);
  });
}

// JSR publishes a package's README as it is, so its source README must have
// no link that only works inside the repository (the npm build's copy is
// checked below, after its links became text).
/** The links of these READMEs that would be broken on a registry's page. */
const linkErrors = (readmes: string[]): Promise<string[]> =>
  Promise.resolve(
    readmes.flatMap((readme) =>
      brokenLinks(readFileSync(readme, "utf8")).map((l) =>
        `${rel(readme)}: ${l}`
      )
    ),
  );
if (libraries.length) {
  await gate(
    "source READMEs: every link works on jsr.io, npm and GitHub",
    () => linkErrors(libraries.map((p) => join(p.path, "README.md"))),
  );
}

// Each entry point alone, as JSR scores each package: a type it uses from a
// sibling package must be exported (re-exported) by the entry itself.
// `--no-npm` keeps deno doc out of node_modules/@types/node (see doc.ts).
for (const p of libraries) {
  for (const f of Object.values(denoExports(p))) {
    const entry = join(rel(p.path), f);
    await gate(
      `deno doc --lint ${entry}`,
      () => cmd(deno, ["doc", "--no-npm", "--lint", "-q", entry]),
    );
  }
}

/** The packages a `deno publish --dry-run` in `cwd` would publish. */
async function jsrPublishes(cwd: string): Promise<string[] | null> {
  const r = await run(deno, ["publish", "--dry-run", "--allow-dirty"], {
    cwd,
  });
  if (r.code !== 0) return null;
  return [...stripAnsi(r.output).matchAll(/Simulating publish of (\S+)@/g)]
    .map((m) => m[1]!).sort();
}

if (repoWide) {
  // From the root, as a release would run it: only the libraries, never the
  // examples (their deno.json says "publish": false).
  await gate("deno publish --dry-run (root): only the libraries", async () => {
    const want = libraryPackages().map((p) => p.deno["name"] as string).sort();
    const got = await jsrPublishes(ROOT);
    if (!got) return ["deno publish --dry-run failed"];
    return got.join() === want.join()
      ? []
      : [`would publish ${got.join(", ")}; want ${want.join(", ")}`];
  });
} else {
  for (const p of libraries) {
    await gate(
      `deno publish --dry-run ${p.deno["name"]}`,
      () => cmd(deno, ["publish", "--dry-run", "--allow-dirty"], p.path),
    );
  }
}

// Every entry point bundles for the browser from source, with no shims,
// plugins or warnings (issue 13): esbuild and `bun build --target=browser`.
if (repoWide) {
  const entries = libraryPackages().flatMap((p) =>
    Object.values(denoExports(p)).map((e) => rel(join(p.path, e)))
  );
  const bundlers: [string, string, (entry: string) => string[]][] = [
    ["esbuild", "esbuild", (entry) => [
      entry,
      "--bundle",
      "--platform=browser",
      "--format=esm",
      "--log-level=warning",
      "--outfile=/dev/null",
    ]],
    ["bun build", "bun", (entry) => [
      "build",
      "--target=browser",
      entry,
      `--outfile=${join(tmpdir(), "twixt-browser-bundle.js")}`,
    ]],
  ];
  for (const [name, bin, args] of bundlers) {
    if (!have(`browser bundles (${name})`, bin)) continue;
    await gate(`browser bundles (${name}): no shims, no warnings`, async () => {
      const errors: string[] = [];
      for (const entry of entries) {
        const r = await run(mustTool(bin), args(entry), { stream: false });
        const out = stripAnsi(r.output);
        if (r.code !== 0 || /warn|error/i.test(out)) {
          errors.push(`${entry}: ${out.trim() || `exit ${r.code}`}`);
        }
      }
      return errors;
    });
  }
}

/**
 * Bundles `import "@twixt/defer/testing"` with esbuild against the npm build
 * and checks that the import-time registration survived tree shaking (the
 * file is listed in `sideEffects`).
 */
async function keepsTestingImport(tmp: string): Promise<string[]> {
  const app = join(tmp, "side-effects");
  mkdirSync(join(app, "node_modules", "@twixt"), { recursive: true });
  symlinkSync(
    join(ROOT, "packages", "defer", "npm"),
    join(app, "node_modules", "@twixt", "defer"),
  );
  const out = join(app, "out.js");
  writeFileSync(join(app, "app.js"), 'import "@twixt/defer/testing";\n');
  const r = await run(mustTool("esbuild"), [
    "app.js",
    "--bundle",
    "--format=esm",
    "--platform=neutral",
    "--log-level=warning",
    "--external:node:*",
    `--outfile=${out}`,
  ], { cwd: app, stream: false });
  if (r.code !== 0) return [`esbuild failed:\n${r.output}`];
  return /_observeFailures\(/.test(readFileSync(out, "utf8"))
    ? []
    : ['bundling `import "@twixt/defer/testing"` dropped its registration'];
}

// The sizes table (a repository-wide gate) measures every library.
const packed = repoWide ? libraryPackages() : libraries;
if (packed.length && have("npm build, pack and release linters", "npm")) {
  const tmp = mkdtempSync(join(tmpdir(), "twixt-check-"));
  try {
    if (!process.argv.includes("--no-build")) {
      await gate(
        "npm build",
        async () => (await build(packed.map((p) => p.path)), 0),
      );
    }
    if (libraries.length) {
      await gate(
        "published READMEs: every link works on the registry",
        () =>
          linkErrors(libraries.map((p) => join(p.path, "npm", "README.md"))),
      );
    }
    if (libraries.some((p) => p.dir === "defer")) {
      await gate(
        'sideEffects keeps import "@twixt/defer/testing" (esbuild)',
        () => keepsTestingImport(tmp),
      );
    }
    const tarballs = await pack(join(tmp, "tarballs"), packed);
    if (repoWide) {
      await gate("README sizes table is current", async () => {
        const { table, overBudget } = await sizesTable(tarballs, tmp);
        const errors = overBudget
          ? ["an entry is over its min+gz budget (the table above)"]
          : [];
        if (table !== readmeTable()) {
          console.log(table);
          errors.push(
            "README.md's sizes table differs from the measured one above: npm run sizes -- --write",
          );
        }
        return errors;
      });
    }
    for (const t of tarballs) {
      if (!libraries.some((p) => p.deno["name"] === t.name)) continue;
      await gate(
        `publint ${t.name}`,
        () => cmd(mustTool("publint"), ["run", "--strict", t.file]),
      );
      await gate(
        `attw --profile esm-only ${t.name}`,
        () =>
          cmd(mustTool("attw"), [
            "--profile",
            "esm-only",
            "--format",
            "table-flipped",
            t.file,
          ]),
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

console.log("\n── summary");
for (const r of results) {
  console.log(
    `  ${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(44)} ${
      r.seconds.toFixed(1).padStart(5)
    } s`,
  );
}
if (skipped.length) console.log(`  skipped: ${skipped.join("; ")}`);
const failed = results.filter((r) => !r.ok).length;
console.log(
  failed
    ? `check: ${failed} of ${results.length} gates failed`
    : `check: all ${results.length} gates ok`,
);
process.exit(failed ? 1 : 0);
