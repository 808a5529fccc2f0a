/**
 * Runs every TypeScript block of the guides in docs/ as a program on the
 * current runtime, checks the output the guides print beside them, and
 * checks that blocks showing an example file still match the file.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { blocks, DOCS, excerpt, fences, guides, normalise } from "./_docs.ts";
import { ROOT, run, runProgram, runtime, scratchDir } from "./_run.ts";

const scratch = scratchDir(`docs-${runtime}`);

for (const doc of guides()) {
  describe(`docs/${doc}`, () => {
    const all = blocks(doc);

    it("has TypeScript blocks to check", () => {
      assert.ok(all.length > 0);
    });

    for (const block of all) {
      if (block.file !== undefined) {
        const file = block.file;
        const shown = block.name ? `${block.name} of ${file}` : file;
        it(`shows ${shown} exactly as it is (line ${block.line})`, () => {
          assert.equal(block.code, excerpt(file, block.name));
        });
        if (block.output !== undefined) {
          const output = block.output;
          it(`shows what ${file} prints (line ${block.line})`, async () => {
            const r = await runProgram(join(ROOT, file), [], { timeout: 60 });
            assert.equal(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`);
            assert.equal(normalise(r.stdout), output);
          });
        }
        continue;
      }
      it(`runs the block at line ${block.line}`, async () => {
        const name = `${doc.replace(/\W/g, "_")}_${block.line}.ts`;
        const path = join(scratch, name);
        writeFileSync(path, block.code);
        try {
          const r = await runProgram(path, [], { timeout: 60 });
          assert.equal(r.code, 0, `exit code\n${r.stdout}\n${r.stderr}`);
          if (block.output !== undefined) {
            assert.equal(normalise(r.stdout), block.output);
          }
        } finally {
          rmSync(path, { force: true });
        }
      });
    }

    it("links only to files that exist", () => {
      const text = readFileSync(join(DOCS, doc), "utf8");
      const prose = fences(text).reduce(
        (t, f) => t.replace(f.code, ""),
        text,
      );
      for (const [, target] of prose.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith("api/")) continue;
        assert.ok(existsSync(join(DOCS, target!)), `${doc} links ${target}`);
      }
    });
  });
}

describe("docs/", () => {
  it("type-checks every TypeScript block", {
    skip: runtime !== "deno" && "deno check runs once, under Deno",
  }, async () => {
    const files: string[] = [];
    for (const doc of guides()) {
      for (const block of blocks(doc)) {
        if (block.file !== undefined) continue;
        const path = join(
          scratch,
          `check_${doc.replace(/\W/g, "_")}_${block.line}.ts`,
        );
        writeFileSync(path, block.code);
        files.push(path);
      }
    }
    try {
      const r = await run(process.execPath, [
        "check",
        "--config",
        join(ROOT, "deno.json"),
        ...files,
      ]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      for (const f of files) rmSync(f, { force: true });
    }
  });
});
