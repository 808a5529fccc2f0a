/**
 * The tarball install test (issue 6), run on the Node leg of `npm test`.
 *
 * It packs each built library package with `npm pack`, installs the tarballs
 * into a fresh project in a temporary folder (offline, with an empty npm
 * cache, so nothing can come from the registry or the workspace), runs a
 * program there that uses all the packages, and type-checks a consumer file
 * against the installed `.d.ts` files. Expects `npm run build` to have run
 * (`npm test` builds before the Node leg).
 *
 * Public names used: Deferred, succeed (@twixt/defer); reactor.callLater,
 * reactor.run, reactor.stop (@twixt/reactor); Clock (@twixt/reactor/task);
 * getPage (@twixt/web-client). A package that is not built yet skips its
 * parts.
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack, type Tarball } from "./pack.ts";
import { must, QUIET_ENV, ROOT } from "./_lib.ts";
import { checkConsumer } from "./_consumer_tsconfig.ts";

const tmp = realpathSync(mkdtempSync(join(tmpdir(), "twixt-pack-test-")));
const project = join(tmp, "project");
let tarballs: Tarball[] = [];
let has = (_name: string): boolean => false;
let report: Record<string, unknown> = {};

/** The consumer program: each part runs if its package is installed. */
const PROGRAM = `
import http from "node:http";
import { createRequire } from "node:module";
const report = {};
const installed = JSON.parse(process.argv[2]);
const has = (n) => installed.includes(n);
report.resolved = {};
for (const n of installed) report.resolved[n] = import.meta.resolve(n);

if (has("@twixt/defer")) {
  const { Deferred, succeed } = await import("@twixt/defer");
  const seen = [];
  const d = new Deferred();
  d.addCallback((x) => { seen.push(x); return x * 2; })
    .addCallback((x) => { seen.push(x); throw new Error("boom"); })
    .addCallback(() => seen.push("skipped"))
    .addErrback((f) => { seen.push("errback"); return 42; })
    .addCallback((x) => seen.push(x));
  d.callback(21);
  let fired;
  succeed("ok").addCallback((v) => { fired = v; });
  report.deferred = { seen, succeed: fired };
  const required = createRequire(import.meta.url)("@twixt/defer");
  report.requireEsm = typeof required.Deferred === "function";
}

if (has("@twixt/reactor")) {
  const { reactor } = await import("@twixt/reactor");
  const t0 = Date.now();
  let ran = false;
  reactor.callLater(0.05, (a, b) => { ran = a + b; reactor.stop(); }, 1, 2);
  await reactor.run();
  report.reactor = { ran, elapsedMs: Date.now() - t0, running: reactor.running };

  const { Clock } = await import("@twixt/reactor/task");
  const clock = new Clock();
  const calls = [];
  clock.callLater(2, () => calls.push(clock.seconds()));
  clock.callLater(5, () => calls.push(clock.seconds()));
  clock.advance(1);
  const early = calls.length;
  clock.advance(1);
  clock.advance(3);
  report.clock = { early, calls, now: clock.seconds() };
}

if (has("@twixt/web-client")) {
  const { getPage } = await import("@twixt/web-client");
  const server = http.createServer((req, res) => {
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end("hello " + req.url);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = "http://127.0.0.1:" + server.address().port + "/twixt";
  try {
    report.getPage = await new Promise((resolve, reject) => {
      getPage(url).addCallbacks(resolve, (f) => reject(f?.value ?? f));
    });
  } finally {
    server.close();
  }
}
console.log(JSON.stringify(report));
`;

/** Type-checked against the installed .d.ts files with the workspace's tsc. */
function consumerSource(): string {
  const lines = [
    "type IsAny<T> = 0 extends 1 & T ? true : false;",
    "const notAny = <T>(_: IsAny<T> extends false ? T : never): void => {};",
  ];
  if (has("@twixt/defer")) {
    lines.push(
      `import { Deferred, succeed } from "@twixt/defer";`,
      "const d: Deferred<number> = new Deferred<number>();",
      "const doubled: Deferred<number> = d.addCallback((x: number) => x * 2);",
      "notAny(succeed);",
      "notAny(doubled);",
      "d.callback(1);",
      'const s: PromiseLike<string> = succeed("x");',
      "void s;",
    );
  }
  if (has("@twixt/reactor")) {
    lines.push(
      `import { reactor } from "@twixt/reactor";`,
      `import { Clock } from "@twixt/reactor/task";`,
      "notAny(reactor);",
      "reactor.callLater(0.1, () => reactor.stop());",
      "const done: Promise<void> = reactor.run();",
      "void done;",
      "const clock = new Clock();",
      "notAny(clock);",
      "clock.callLater(1, () => undefined);",
      "clock.advance(1);",
      "const now: number = clock.seconds();",
      "void now;",
    );
  }
  if (has("@twixt/web-client")) {
    lines.push(
      `import { getPage } from "@twixt/web-client";`,
      "notAny(getPage);",
      `const page: PromiseLike<string> = getPage("http://127.0.0.1:1/");`,
      "void page;",
    );
  }
  // Imports first, as a consumer would write them.
  lines.sort((a, b) =>
    Number(!a.startsWith("import")) - Number(!b.startsWith("import"))
  );
  return lines.join("\n") + "\n";
}

describe("npm tarballs install and work in a fresh Node project", () => {
  before(async () => {
    tarballs = await pack(join(tmp, "tarballs"));
    assert.ok(
      tarballs.length > 0,
      "no built package to pack: run `npm run build`",
    );
    const names = new Set(tarballs.map((t) => t.name));
    has = (n) => names.has(n);
    mkdirSync(project, { recursive: true });
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await must("npm", [
      "install",
      "--offline",
      "--cache",
      join(tmp, "npm-cache"),
      "--registry",
      "http://127.0.0.1:9/",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      ...tarballs.map((t) => t.file),
    ], { cwd: project, stream: false, env: QUIET_ENV });
    writeFileSync(join(project, "main.mjs"), PROGRAM);
    const out = await must(
      process.execPath,
      ["main.mjs", JSON.stringify([...names])],
      { cwd: project, stream: false, timeout: 60 },
    );
    report = JSON.parse(out.trim().split("\n").at(-1)!);
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("packs each library package with its README, LICENSE and no tests", () => {
    for (const t of tarballs) {
      assert.ok(t.files.includes("package.json"), t.name);
      assert.ok(t.files.includes("LICENSE"), `${t.name} has no LICENSE`);
      assert.ok(t.files.includes("README.md"), `${t.name} has no README.md`);
      assert.ok(
        t.files.includes("mod.js") && t.files.includes("mod.d.ts"),
        t.name,
      );
      // The TypeScript source is carried in src/ on purpose (declaration maps
      // point there); tests and benches are not, nor .ts files elsewhere.
      const stray = t.files.filter((f) =>
        /_test\.|_bench\.|(^|\/)bench\//.test(f) ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.startsWith("src/"))
      );
      assert.ok(t.files.includes("src/mod.ts"), `${t.name} has no src/mod.ts`);
      assert.deepEqual(
        stray,
        [],
        `${t.name} ships test, bench or source files`,
      );
    }
  });

  it("resolves every package from the installed tarballs, not the workspace", () => {
    const resolved = report["resolved"] as Record<string, string>;
    for (const t of tarballs) {
      const url = resolved[t.name]!;
      assert.ok(
        url.startsWith(`file://${project}/node_modules/`),
        `${t.name} → ${url}`,
      );
      assert.ok(
        !url.includes(`${ROOT}/`),
        `${t.name} resolved into the workspace: ${url}`,
      );
    }
  });

  it("runs a Deferred chain from @twixt/defer", (t) => {
    if (!has("@twixt/defer")) return t.skip("@twixt/defer is not built");
    assert.deepEqual(report["deferred"], {
      seen: [21, 42, "errback", 42],
      succeed: "ok",
    });
  });

  it("loads the ESM build with require() on Node 20", (t) => {
    if (!has("@twixt/defer")) return t.skip("@twixt/defer is not built");
    assert.equal(report["requireEsm"], true);
  });

  it("runs the reactor until reactor.stop() from a callLater", (t) => {
    if (!has("@twixt/reactor")) return t.skip("@twixt/reactor is not built");
    const r = report["reactor"] as {
      ran: number;
      elapsedMs: number;
      running: boolean;
    };
    assert.equal(r.ran, 3);
    assert.equal(r.running, false);
    assert.ok(r.elapsedMs >= 40, `stopped after ${r.elapsedMs} ms`);
  });

  it("advances a Clock from @twixt/reactor/task", (t) => {
    if (!has("@twixt/reactor")) return t.skip("@twixt/reactor is not built");
    assert.deepEqual(report["clock"], { early: 0, calls: [2, 5], now: 5 });
  });

  it("fetches a page from a local server with getPage", (t) => {
    if (!has("@twixt/web-client")) {
      return t.skip("@twixt/web-client is not built");
    }
    assert.equal(report["getPage"], "hello /twixt");
  });

  it("type-checks a consumer against the installed types", async () => {
    // @types/node from the workspace toolchain; the packages themselves
    // come from this project's node_modules only.
    const r = await checkConsumer(project, consumerSource(), {
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules", "@types")],
    });
    assert.equal(
      r.code,
      0,
      `tsc found errors:\n${r.output}\n${consumerSource()}`,
    );
  });
});
