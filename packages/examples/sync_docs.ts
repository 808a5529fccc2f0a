/**
 * Brings the guides in docs/ up to date with the code: each block marked
 * `<!-- file: path -->` gets the file's text, and each ```text block marked
 * `<!-- output -->` gets what the block before it prints when run.
 * docs_test.ts fails when a guide is out of date; this script mends it.
 *
 * Usage: `deno run -A packages/examples/sync_docs.ts [guide.md...]`
 *
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { directive, DOCS, excerpt, guides, normalise } from "./_docs.ts";
import { ROOT, runProgram, scratchDir } from "./_run.ts";

/** Rewrites one guide; returns whether it changed. */
export async function syncGuide(doc: string): Promise<boolean> {
  const path = join(DOCS, doc);
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const out: string[] = [];
  let before = "";
  // The last TypeScript block: its code, or the file it shows.
  let last: { code: string; file?: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = /^```(\S*)\s*$/.exec(line);
    if (!open) {
      out.push(line);
      if (line.trim() !== "") before = line.trim();
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^```\s*$/.test(lines[j]!); j++) {
      body.push(lines[j]!);
    }
    let code = body.length ? body.join("\n") + "\n" : "";
    const lang = open[1]!;
    const include = directive(before);
    if ((lang === "ts" || lang === "typescript") && include) {
      code = excerpt(include.file, include.name);
      last = { code, file: include.file };
    } else if (lang === "ts" || lang === "typescript") {
      last = { code };
    } else if (lang === "text" && before === "<!-- output -->" && last) {
      code = normalise(await output(last, `${doc}_${i + 1}`));
    }
    const codeLines = code === "" ? [] : code.replace(/\n$/, "").split("\n");
    out.push(line, ...codeLines, "```");
    i = j;
    before = "";
  }
  const next = out.join("\n");
  if (next === text) return false;
  writeFileSync(path, next);
  return true;
}

async function output(
  block: { code: string; file?: string },
  name: string,
): Promise<string> {
  let file = block.file ? join(ROOT, block.file) : undefined;
  let scratch: string | undefined;
  if (file === undefined) {
    scratch = join(scratchDir("sync"), `${name.replace(/\W/g, "_")}.ts`);
    writeFileSync(scratch, block.code);
    file = scratch;
  }
  try {
    const r = await runProgram(file);
    if (r.code !== 0) {
      throw new Error(`${name} exited with ${r.code}:\n${r.stderr}`);
    }
    return r.stdout;
  } finally {
    if (scratch) rmSync(scratch, { force: true });
  }
}

if (fileURLToPath(import.meta.url) === resolve(process.argv[1] ?? "")) {
  const docs = process.argv.slice(2);
  for (const doc of docs.length ? docs : guides()) {
    if (await syncGuide(doc)) console.log(`Updated docs/${doc}`);
  }
}
