/**
 * The static checks and release gates; any failure fails the command.
 *
 * 1. `deno check` (with the libraries' `@example` blocks), `deno lint`,
 *    `deno fmt --check`;
 * 2. `tsc -p tsconfig.json` (strict; Node's types, no Deno's);
 * 3. one version across every package and its sibling dependencies;
 * 4. `deno doc --lint` of every library export, and for each library
 *    package `deno publish --dry-run` (slow types, license, exports);
 * 5. the npm build packed (scripts/build_npm.ts, npm pack), then `publint`
 *    and `attw --profile esm-only` on each tarball.
 *
 * Usage: `deno run -A scripts/check.ts [--no-build] [package-dir...]`
 * (`npm run check`, `deno task check`). Package folders narrow the checks to
 * those packages (tsc still checks the whole repository); `--no-build` packs
 * the existing npm builds (turbo builds them first).
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, denoExports } from "./build_npm.ts";
import { pack } from "./pack.ts";
import {
  bin,
  libraryPackages,
  packages,
  pick,
  type Pkg,
  rel,
  ROOT,
  run,
} from "./_lib.ts";

const dirArgs = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const all = packages();
const selected: Pkg[] = pick(dirArgs, all);
const libraries = selected.filter((p) => p.library);
const scope = dirArgs.length ? selected.map((p) => rel(p.path)) : [];

const results: { name: string; ok: boolean; seconds: number }[] = [];

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
  c: string,
  a: string[],
  cwd = ROOT,
): Promise<number | null> => (await run(c, a, { cwd })).code;

const deno = bin("deno");
// `--doc` type-checks the @example blocks of the libraries; the examples
// package's module docs are prose, not code.
const docDirs = selected.filter((p) => p.library).map((p) => rel(p.path));
const plainDirs = [
  ...selected.filter((p) => !p.library).map((p) => rel(p.path)),
  ...(dirArgs.length ? [] : ["scripts"]),
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
await gate(
  "tsc -p tsconfig.json",
  () => cmd(bin("tsc"), ["-p", "tsconfig.json", "--pretty", "false"]),
);

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
      if (names.has(dep) && v !== version) {
        errors.push(`${where}/package.json wants ${dep}@${v}, not ${version}`);
      }
    }
  }
  console.log(`  version ${version} in ${all.length} packages`);
  return Promise.resolve(errors);
});

// All library entries in one run: a type from a sibling package (Deferred in
// @twixt/web-client's API) counts as public only when its own package's
// entry is a root too (denoland/deno#27364).
const allEntries = libraryPackages().flatMap((p) =>
  Object.values(denoExports(p)).map((f) => join(rel(p.path), f))
);
if (libraries.length) {
  await gate(
    "deno doc --lint (all library exports)",
    () => cmd(deno, ["doc", "--lint", "-q", ...allEntries]),
  );
}
for (const p of libraries) {
  await gate(
    `deno publish --dry-run ${p.deno["name"]}`,
    () => cmd(deno, ["publish", "--dry-run", "--allow-dirty"], p.path),
  );
}

if (libraries.length) {
  const tmp = mkdtempSync(join(tmpdir(), "twixt-check-"));
  try {
    if (!process.argv.includes("--no-build")) {
      await gate(
        "npm build",
        async () => (await build(libraries.map((p) => p.path)), 0),
      );
    }
    const tarballs = await pack(tmp);
    for (const t of tarballs) {
      if (!libraries.some((p) => p.deno["name"] === t.name)) continue;
      await gate(
        `publint ${t.name}`,
        () => cmd(bin("publint"), ["run", "--strict", t.file]),
      );
      await gate(
        `attw --profile esm-only ${t.name}`,
        () =>
          cmd(bin("attw"), [
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
const failed = results.filter((r) => !r.ok).length;
console.log(
  failed
    ? `check: ${failed} of ${results.length} gates failed`
    : `check: all ${results.length} gates ok`,
);
process.exit(failed ? 1 : 0);
