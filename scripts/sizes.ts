/**
 * Reports each library package's size: the npm tarball, and each export's
 * entry bundled by esbuild, minified, then gzipped. "own" bundles the
 * package alone (sibling @twixt packages left as imports); "with deps"
 * includes the siblings it imports, which is what an app pays for it alone.
 * Bundles are made for the browser (`--platform=browser`; "own" leaves out
 * only the siblings), so a Node built-in imported at the top of any module
 * fails the run, and each entry's "with deps" size has a budget
 * ({@linkcode BUDGETS}).
 *
 * Usage: `deno run -A scripts/sizes.ts [--no-build] [--write]`
 * (`npm run sizes`). `--write` puts the table into README.md between the
 * `<!-- sizes:start -->` and `<!-- sizes:end -->` markers; `npm run check`
 * fails when the table there differs from the one measured.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, denoExports } from "./build_npm.ts";
import { pack, type Tarball } from "./pack.ts";
import { isMain, libraryPackages, must, mustTool, ROOT } from "./_lib.ts";

/**
 * Budgets for each entry's browser bundle, min+gz with its deps (issue 6
 * set @twixt/defer's, issue 13 the others', about a fifth above the size
 * measured then), so that growth is a decision.
 */
const BUDGETS: Record<string, number> = {
  // describe.ts (issue 14) and context.ts (issue 11) added about 1.5 KB.
  "@twixt/defer": 9 * 1024,
  "@twixt/defer/testing": 6 * 1024,
  // Issue 16 put TLS (about 2.5 KB) in the main entry only: the task and
  // testing entries reach it through a hook and do not carry it.
  "@twixt/reactor": 20 * 1024,
  "@twixt/reactor/task": 16 * 1024,
  "@twixt/reactor/testing": 19 * 1024,
  // The pool and the node:http transport (issue 12) added about 3 KB; the
  // idle-connection timer, FileSystemNotAvailable and relative URLs against
  // the page's location (issue 12, third session) about 0.4 KB more.
  "@twixt/web-client": 24 * 1024,
};

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;

async function minGz(
  entry: string,
  external: string[],
  tmp: string,
): Promise<number> {
  const out = join(tmp, "bundle.js");
  await must(mustTool("esbuild"), [
    entry,
    "--bundle",
    "--minify",
    "--format=esm",
    "--platform=browser",
    "--log-level=warning",
    ...external.map((e) => `--external:${e}`),
    `--outfile=${out}`,
  ], { stream: false });
  return gzipSync(readFileSync(out), { level: 9 }).length;
}

/** The measured sizes as a Markdown table, and whether defer is over budget. */
export async function sizesTable(
  tarballs: Tarball[],
  tmp: string,
): Promise<{ table: string; overBudget: boolean }> {
  const rows: string[][] = [];
  let overBudget = false;
  for (const p of libraryPackages()) {
    const name = p.deno["name"] as string;
    const t = tarballs.find((x) => x.name === name);
    if (!t) continue;
    for (const [sub, file] of Object.entries(denoExports(p))) {
      const js = join(p.path, "npm", file.replace(/\.ts$/, ".js"));
      const own = await minGz(js, ["@twixt/*"], tmp);
      const withDeps = await minGz(js, [], tmp);
      const entry = sub === "." ? name : `${name}/${sub.slice(2)}`;
      const budget = BUDGETS[entry];
      if (budget !== undefined && withDeps > budget) overBudget = true;
      rows.push([
        entry,
        sub === "." ? kb(t.size) : "",
        kb(own),
        kb(withDeps),
        budget === undefined ? "" : kb(budget),
      ]);
    }
  }
  const head = [
    "entry",
    "packed (npm)",
    "min+gz own",
    "min+gz with deps",
    "budget",
  ];
  const table = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  return { table, overBudget };
}

const README = join(ROOT, "README.md");
const MARKED = /(<!-- sizes:start -->\n)([\s\S]*?)(<!-- sizes:end -->)/;

/** The sizes table README.md carries between its markers. */
export function readmeTable(): string {
  const m = MARKED.exec(readFileSync(README, "utf8"));
  if (!m) throw new Error("README.md has no sizes markers");
  return m[2]!.trimEnd();
}

function writeReadme(table: string): void {
  readmeTable(); // the markers are there
  const text = readFileSync(README, "utf8");
  writeFileSync(README, text.replace(MARKED, `$1${table}\n$3`));
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const tmp = mkdtempSync(join(tmpdir(), "twixt-sizes-"));
  try {
    if (!args.includes("--no-build")) await build();
    const tarballs = await pack(join(tmp, "tarballs"));
    const { table, overBudget } = await sizesTable(tarballs, tmp);
    console.log(table);
    console.log(
      `\nBrowser bundles (min+gz with deps) against their budgets: ${
        overBudget ? "OVER" : "within"
      }`,
    );
    if (overBudget) process.exitCode = 1;
    if (args.includes("--write")) {
      writeReadme(table);
      console.log("README.md updated");
    } else if (table !== readmeTable()) {
      console.log("README.md's table differs: npm run sizes -- --write");
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
