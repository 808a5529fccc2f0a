/**
 * Writes the HTML API reference of every library package's exports to
 * docs/api/ (gitignored) with `deno doc --html`.
 *
 * `--no-npm`: the libraries import no npm package, and without it deno doc
 * reads node_modules/@types/node for the `node:` types and takes each
 * `/// <reference path>` there for a package name (denoland/deno#36751),
 * printing 59 "Failed resolving types" warnings; the pages are the same.
 *
 * Usage: `deno run -A scripts/doc.ts` (`deno task doc`, `npm run doc`).
 *
 * @module
 */
import { join } from "node:path";
import { denoExports } from "./build_npm.ts";
import { libraryPackages, mustTool, rel, run } from "./_lib.ts";

const entries = libraryPackages().flatMap((p) =>
  Object.values(denoExports(p)).map((f) => join(rel(p.path), f))
);
const r = await run(mustTool("deno"), [
  "doc",
  "--no-npm",
  "--html",
  "--name=Twixt",
  "--output=docs/api",
  ...entries,
]);
if (r.code === 0) console.log("API reference written to docs/api/index.html");
process.exit(r.code ?? 1);
