/**
 * Reads the TypeScript code blocks out of the Markdown guides in docs/, for
 * docs_test.ts, which runs them so the guides cannot go stale.
 *
 * Conventions in the Markdown:
 * - every ```ts block is a whole program: it is written to a file and run,
 *   and must exit 0 (blocks use `node:assert/strict` to state results);
 * - a block preceded by `<!-- file: packages/examples/x.ts -->` shows that
 *   file instead: it must equal the file, which examples_test.ts runs;
 *   with `#name` after the path, it shows one top-level declaration of the
 *   file (see {@linkcode excerpt});
 * - a ```text block preceded by `<!-- output -->` right after a block is
 *   what that block prints (addresses of the local site written as
 *   `http://127.0.0.1:PORT/`).
 *
 * @module
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_run.ts";

/** The docs folder at the repository root. */
export const DOCS: string = join(ROOT, "docs");

/** One fenced TypeScript block of a guide. */
export interface Block {
  /** The guide's file name, e.g. `async.md`. */
  doc: string;
  /** The line of the opening fence, counting from 1. */
  line: number;
  /** The code. */
  code: string;
  /** The file the block shows, relative to the root, if it is an included one. */
  file?: string;
  /** The declaration of `file` the block shows, if only one. */
  name?: string;
  /** What the block prints, if the guide says. */
  output?: string;
}

/** The Markdown files of docs/, sorted. */
export function guides(): string[] {
  return readdirSync(DOCS).filter((f) => f.endsWith(".md")).sort();
}

/** The fenced blocks of one guide, with `lang` their info string. */
export function fences(
  text: string,
): Array<{ lang: string; line: number; code: string; before: string }> {
  const lines = text.split("\n");
  const out: Array<
    { lang: string; line: number; code: string; before: string }
  > = [];
  let before = "";
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) {
      if (lines[i]!.trim() !== "") before = lines[i]!.trim();
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) {
      body.push(lines[i]!);
    }
    out.push({
      lang: open[1]!,
      line: start + 1,
      code: body.join("\n") + "\n",
      before,
    });
    before = "";
  }
  return out;
}

/** The TypeScript blocks of the guide `doc`, with their directives applied. */
export function blocks(doc: string): Block[] {
  const all = fences(readFileSync(join(DOCS, doc), "utf8"));
  const out: Block[] = [];
  for (const f of all) {
    if (f.lang === "text" && f.before === "<!-- output -->") {
      const last = out[out.length - 1];
      if (last) last.output = f.code;
      continue;
    }
    if (f.lang !== "ts" && f.lang !== "typescript") continue;
    const block: Block = { doc, line: f.line, code: f.code };
    const include = directive(f.before);
    if (include) Object.assign(block, include);
    out.push(block);
  }
  return out;
}

/** The file (and declaration) a `<!-- file: path#name -->` line names. */
export function directive(
  line: string,
): { file: string; name?: string } | undefined {
  const m = /^<!-- file: ([^\s#]+)(?:#(\w+))? -->$/.exec(line);
  if (!m) return undefined;
  return m[2] === undefined ? { file: m[1]! } : { file: m[1]!, name: m[2] };
}

/**
 * The text a block marked with `file` (and `name`) shows: the whole file,
 * or the top-level declaration of `name` with the doc comment above it,
 * down to the first line that closes it at the left margin.
 */
export function excerpt(file: string, name?: string): string {
  const text = readFileSync(join(ROOT, file), "utf8");
  if (name === undefined) return text;
  const lines = text.split("\n");
  const decl = new RegExp(
    `^(export )?(async )?(function\\*?|class|const|let|interface|type) ${name}\\b`,
  );
  let start = lines.findIndex((l) => decl.test(l));
  if (start < 0) throw new Error(`Cannot find ${name} in ${file}`);
  const end = lines.findIndex((l, i) =>
    i > start && /^[)}\]][)}\];,]*\s*$/.test(l)
  );
  if (end < 0) throw new Error(`Cannot find the end of ${name} in ${file}`);
  if (lines[start - 1]?.trim() === "*/") {
    while (start > 0 && !lines[start]!.startsWith("/**")) start--;
  }
  return lines.slice(start, end + 1).join("\n") + "\n";
}

/** Replaces the local site's port with `PORT`, as the guides write it. */
export function normalise(output: string): string {
  return output.replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:PORT");
}
