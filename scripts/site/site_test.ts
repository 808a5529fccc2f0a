/**
 * The tutorial site's test (issue 14), on Deno: builds the site, serves it
 * with a check script injected into every HTML page (testing/check.ts),
 * and has headless Chromium (scripts/test_browser.ts's startChromium)
 * load every page in turn from a harness page. Each page must load with no
 * console error, no failed or outside request, every Mermaid block turned
 * into an SVG and every internal link resolving (to a file, and to an
 * element of that id for a `#fragment`); the API index must list every
 * entry point. The chain explorer is clicked through the scripted
 * scenarios (chain.ts SCENARIOS), and what it shows is compared with the
 * same chain run here; the Run buttons' output with what the guide says
 * the programs print. Screenshots of the pages go to
 * dist/site-screenshots/ (gitignored).
 *
 * Usage: `deno test -A scripts/site/site_test.ts` (`.ci/run` runs it).
 *
 * @module
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { ROOT } from "../_lib.ts";
import {
  findChromium,
  removeProfile,
  startChromium,
  stopChromium,
} from "../test_browser.ts";
import { blocks } from "../../packages/examples/_docs.ts";
import { buildSite, entryPoints, OUT, RUNNABLE } from "./build.ts";
import { fileFor, serve } from "./serve.ts";
import { Chain, SCENARIOS, show } from "./client/chain.ts";
import { Failure } from "../../packages/defer/mod.ts";

/** What the check script reports about one page. */
interface Report {
  page: string;
  errors: string[];
  outside: string[];
  mermaid?: number;
  svgs?: number;
  links?: string[];
  entries?: string[];
  explorers?: number;
  runButtons?: number;
  scenario?: {
    steps: { ran: string; input: string | null; output: string | null }[];
    arrows: (string | null)[];
    state: string;
    line: string;
    waitingNext: string | null;
  };
  runs?: Record<string, string>;
}

const SCREENSHOTS = join(ROOT, "dist", "site-screenshots");
// The one request that fails on purpose: error_handler's missing page.
const MISSING_ON_PURPOSE = "/library/does-not-exist";

const chromium = findChromium();
const skip = chromium === undefined ? "Chromium is not installed" : false;

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const c of req) text += new TextDecoder().decode(c as Uint8Array);
  return text;
}

/** Builds the site, loads `urls` in Chromium, returns the reports. */
async function visit(urls: string[]): Promise<{
  reports: Map<string, Report>;
  failed: string[];
  note?: string;
}> {
  const check = await esbuild.build({
    entryPoints: [join(ROOT, "scripts", "site", "testing", "check.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "warning",
  });
  await esbuild.stop();
  const checkJs = check.outputFiles[0]!.text;
  const reports = new Map<string, Report>();
  const failed: string[] = [];
  let finish: (note?: string) => void = () => {};
  const finished = new Promise<string | undefined>((r) => (finish = r));
  const harness = `<!doctype html><meta charset="utf-8"><title>site test</title>
<body><script>
const urls = ${JSON.stringify(urls)};
(async () => {
  for (const url of urls) {
    await new Promise((resolve) => {
      const frame = document.createElement("iframe");
      frame.style.width = "1200px";
      frame.style.height = "900px";
      const done = () => { removeEventListener("message", heard); clearTimeout(t); frame.remove(); resolve(); };
      const heard = (e) => { if (e.source === frame.contentWindow && e.data === "checked") done(); };
      const t = setTimeout(() => { fetch("/__report", { method: "POST", body: JSON.stringify({ page: url, errors: ["no report within 60 s"], outside: [] }) }).then(done); }, 60000);
      addEventListener("message", heard);
      frame.src = url;
      document.body.append(frame);
    });
  }
  await fetch("/__done", { method: "POST" });
})();
</script>`;
  const server = await serve(OUT, 0, async (req, res, path) => {
    if (path === "/__harness.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(harness);
      return true;
    }
    if (path === "/__check.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(checkJs);
      return true;
    }
    if (path === "/__report") {
      const r = JSON.parse(await readBody(req)) as Report;
      reports.set(r.page, r);
      res.writeHead(204);
      res.end();
      return true;
    }
    if (path === "/__done") {
      await readBody(req);
      res.writeHead(204);
      res.end();
      finish();
      return true;
    }
    // The tutorial's own pages (library/) are fetched as they are.
    const file = !path.startsWith("/library/") &&
        (path.endsWith(".html") || path.endsWith("/"))
      ? fileFor(OUT, path)
      : undefined;
    if (file === undefined) return false;
    // Every page gets the check script first, before its own scripts.
    const html = readFileSync(file, "utf8").replace(
      /<head>/i,
      '<head><script src="/__check.js"></script>',
    );
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
    return true;
  }, (path, status) => {
    if (status >= 400 && path !== MISSING_ON_PURPOSE) {
      failed.push(`${status} ${path}`);
    }
  });
  const profile = mkdtempSync(join(tmpdir(), "twixt-site-"));
  const started = startChromium(
    chromium!,
    profile,
    `${server.url}__harness.html`,
  );
  started.child.on(
    "exit",
    (c) => finish(`Chromium exited early (code ${c}): ${started.stderr()}`),
  );
  const timer = setTimeout(() => finish("timed out after 600 s"), 600_000);
  const note = await finished;
  if (note !== undefined) console.log(`site test: ${note}`);
  clearTimeout(timer);
  await stopChromium(started.child);
  await removeProfile(profile);

  // Screenshots, one Chromium run each (they ask for no check script).
  mkdirSync(SCREENSHOTS, { recursive: true });
  const shots = urls.filter((u) =>
    !u.startsWith("/src/") || u.includes("print_contents")
  );
  for (const url of shots) {
    const name = url.replace(/^\//, "").replace(/[^\w.-]+/g, "_") || "index";
    const dir = mkdtempSync(join(tmpdir(), "twixt-shot-"));
    const shot = startChromium(chromium!, dir, `${server.url}${url.slice(1)}`, [
      "--window-size=1400,2200",
      "--virtual-time-budget=10000",
      "--hide-scrollbars",
      `--screenshot=${join(SCREENSHOTS, `${name}.png`)}`,
    ]);
    await new Promise((r) => shot.child.once("exit", r));
    await removeProfile(dir);
  }
  await server.close();
  return note === undefined ? { reports, failed } : { reports, failed, note };
}

/** What the explorer should show for scenario `n`, from the chain run here. */
function expected(n: number): {
  steps: { ran: string; input: string | null; output: string | null }[];
  state: string;
  line: string;
  waitingNext: string | null;
} {
  const s = SCENARIOS[n]!;
  const chain = new Chain(s.steps);
  chain.fire(s.fire);
  // The step describeDeferred names as next while the chain waits.
  const waitingNext = s.inner ? String(chain.state().next) : null;
  if (s.inner) chain.fireInner();
  const steps = s.steps.map((_, i) => {
    const t = chain.trace.find((x) => x.step === i);
    return t
      ? { ran: t.side, input: t.input, output: t.output }
      : { ran: "passed", input: null, output: null };
  });
  const now = chain.state();
  chain.settle();
  return { steps, state: now.state, line: now.line, waitingNext };
}

const pages = (await import("./build.ts")).sitePages();
const built = skip ? undefined : await buildSite();
const urls = built
  ? [
    ...built.pages.map((p) => `/${p.out}`),
    ...built.sources.map((s) => `/src/${s}.html`),
    "/api/index.html",
    "/api/all_symbols.html",
    ...entryPoints().map((e) => `/api/${e.file}/index.html`),
    ...SCENARIOS.map((_, i) =>
      `/docs/using-deferreds.html?explorer-speed=0&scenario=${i}`
    ),
    "/docs/async.html?explorer-speed=0&run",
  ]
  : [];
const result = built ? await visit(urls) : undefined;
const report = (url: string): Report => {
  const r = result!.reports.get(url);
  assert.ok(
    r,
    `no report from ${url}${result!.note ? `: ${result!.note}` : ""}`,
  );
  return r;
};

const ids = new Map<string, Set<string>>();

/** The element ids of an HTML file, entities decoded (deno doc writes `&#x2F;`). */
function idsOf(file: string): Set<string> {
  let set = ids.get(file);
  if (set === undefined) {
    set = new Set(
      [...readFileSync(file, "utf8").matchAll(/\sid="([^"]*)"/g)].map((m) =>
        m[1]!.replace(
          /&#x([0-9a-f]+);/gi,
          (_, h) => String.fromCodePoint(parseInt(h, 16)),
        )
          .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
          .replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">")
          .replace(/&amp;/g, "&")
      ),
    );
    ids.set(file, set);
  }
  return set;
}

function checkLinks(r: Report): string[] {
  const bad: string[] = [];
  for (const href of r.links ?? []) {
    const u = new URL(href);
    const file = fileFor(OUT, u.pathname);
    if (file === undefined) {
      bad.push(href);
      continue;
    }
    const id = decodeURIComponent(u.hash.slice(1));
    if (id && !idsOf(file).has(id)) bad.push(href);
  }
  return bad;
}

describe("the tutorial site", { skip }, () => {
  it("Chromium ran every page, and no request failed", () => {
    assert.equal(result!.note, undefined);
    assert.deepEqual(result!.failed, []);
  });

  for (const p of pages) {
    it(`${p.out}: loads cleanly, diagrams drawn, links resolve`, () => {
      const r = report(`/${p.out}`);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(r.outside, []);
      assert.equal(r.svgs, r.mermaid, "every Mermaid block became an SVG");
      assert.deepEqual(checkLinks(r), []);
    });
  }

  it("the guides have their diagrams and explorers", () => {
    for (const g of ["async", "using-deferreds"]) {
      const r = report(`/docs/${g}.html`);
      assert.ok(r.mermaid! >= 2, `${g}: ${r.mermaid} diagrams`);
      assert.equal(r.explorers, 1, `${g}: one chain explorer`);
    }
    assert.equal(report("/docs/async.html").runButtons, RUNNABLE.length);
  });

  it("source pages load cleanly and their links resolve", () => {
    for (const s of built!.sources) {
      const r = report(`/src/${s}.html`);
      assert.deepEqual([s, ...r.errors], [s]);
      assert.deepEqual([s, ...checkLinks(r)], [s]);
    }
  });

  it("the API index lists every entry point, and its links resolve", () => {
    const r = report("/api/index.html");
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      [...r.entries!].sort(),
      entryPoints().map((e) => e.specifier).sort(),
    );
    assert.deepEqual(checkLinks(r), []);
    const all = report("/api/all_symbols.html");
    assert.deepEqual(all.errors, []);
    assert.deepEqual(checkLinks(all), []);
  });

  it("the API pages use the real import specifiers", () => {
    for (const e of entryPoints()) {
      const r = report(`/api/${e.file}/index.html`);
      assert.deepEqual(r.errors, []);
      const html = readFileSync(join(OUT, "api", e.file, "index.html"), "utf8");
      assert.ok(!html.includes(`&quot;${e.file}&quot;`), e.file);
      assert.ok(!html.includes(`>${e.file.replace(/\//g, "&#x2F;")}<`), e.file);
      assert.ok(html.includes(`>${e.specifier}<`), e.specifier);
    }
    const clock = readFileSync(
      join(OUT, "api", "reactor", "task.ts", "~", "Clock.html"),
      "utf8",
    );
    assert.match(
      clock,
      /import \{ Clock \} from &quot;@twixt\/reactor\/task&quot;/,
    );
  });

  SCENARIOS.forEach((s, i) => {
    it(`the chain explorer shows ${s.name} as the chain runs it`, () => {
      const r = report(
        `/docs/using-deferreds.html?explorer-speed=0&scenario=${i}`,
      );
      assert.deepEqual(r.errors, []);
      const want = expected(i);
      assert.deepEqual(r.scenario!.steps, want.steps);
      assert.equal(r.scenario!.state, want.state);
      assert.equal(r.scenario!.line, want.line);
      assert.equal(r.scenario!.waitingNext, want.waitingNext);
      // Each arrow carries what its step passed on.
      r.scenario!.steps.forEach((step, j) => {
        if (step.output !== null) {
          assert.equal(r.scenario!.arrows[j + 1], step.output);
        }
      });
    });
  });

  it("the Run buttons print what the guide says the programs print", () => {
    const r = report("/docs/async.html?explorer-speed=0&run");
    assert.deepEqual(r.errors, []);
    const shown = new Map(
      blocks("async.md").filter((b) => b.file && b.output !== undefined)
        .map((b) => [b.file!, b.output!]),
    );
    for (const file of RUNNABLE) {
      const name = file.replace(/^.*\/|\.ts$/g, "");
      const want = shown.get(file);
      assert.ok(want !== undefined, `the guide shows what ${file} prints`);
      assert.equal(
        r.runs![name]!.trimEnd(),
        `done\n${want.replace(/http:\/\/127\.0\.0\.1:PORT\//g, "")}`.trimEnd(),
        name,
      );
    }
  });

  it("wrote a screenshot of each page", () => {
    for (const p of pages) {
      const name = p.out.replace(/[^\w.-]+/g, "_");
      assert.ok(
        readFileSync(join(SCREENSHOTS, `${name}.png`)).length > 1000,
        name,
      );
    }
  });
});

describe("the explorer's model", () => {
  it("traces what the real Deferred does", () => {
    const chain = new Chain(["throws", "lower", "recover", "both"]);
    chain.fire("callback");
    assert.deepEqual(chain.trace.map((t) => [t.step, t.side, t.threw]), [
      [0, "callback", true],
      [2, "errback", false],
      [3, "callback", false],
    ]);
    assert.equal(chain.state().state, "done");
    assert.equal(
      show(new Failure(new TypeError("x"))),
      "Failure(TypeError: x)",
    );
  });
});
