/**
 * The browser leg of `npm test` (issue 13): runs the library tests that need
 * no sockets, files or child processes in headless Chromium.
 *
 * The test files are bundled with esbuild for the browser, straight from the
 * sources, with `node:test` mapped to a small browser implementation
 * (scripts/browser/node_test.ts) and `node:assert` to an adapter
 * (scripts/browser/assert.ts), and `node:process` to a stub with no signals
 * (scripts/browser/process.ts); the library itself is bundled as it is, with
 * no shims. A local `node:http` server serves the page and the routes the
 * web-client tests fetch (with CORS headers, so that its `localhost` name
 * is a second origin), and collects each leaf test's result as it ends.
 * Chromium is started headless on the page and stopped when the last result
 * has arrived (or after the timeout).
 *
 * Test files that need what a browser has not are skipped whole, with the
 * reason ({@linkcode SKIP_FILES}); single tests by name
 * ({@linkcode SKIP_TESTS}). Where Chromium is not installed, one line says
 * so and nothing runs.
 *
 * Usage: `deno run -A scripts/test_browser.ts [--timeout=SECONDS]
 * [package-dir...]`; `npm test` runs it as its fourth runtime (`--browser`).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import {
  bin,
  isMain,
  libraryPackages,
  must,
  pick,
  ROOT,
  walk,
} from "./_lib.ts";

/** Leaf-test counts of the browser run, and what to say about it. */
export interface BrowserCounts {
  passed: number;
  failed: number;
  skipped: number;
  notes: string[];
}

/** Whole test files skipped in the browser, by why. */
export const SKIP_FILES: Record<string, string> = {
  "packages/defer/unhandled_test.ts": "uses node:v8 and node:vm",
  "packages/defer/context_test.ts": "uses node:async_hooks",
  "packages/reactor/context_test.ts": "uses node:async_hooks",
  "packages/reactor/tcp_test.ts": "needs TCP",
  "packages/reactor/endpoints_test.ts": "needs TCP",
  "packages/reactor/transport_test.ts": "drives a node:net socket",
  "packages/reactor/reactor_process_test.ts": "starts child processes",
  "packages/reactor/react_test.ts": "checks process.exitCode",
  "packages/web-client/_request_test.ts": "starts child processes",
  "packages/web-client/get_page_test.ts":
    "starts node:http and node:net servers in the test (the browser run's own getPage tests are in scripts/browser/in_browser_test.ts)",
  "packages/web-client/agent_test.ts": "starts node:http servers in the test",
  "packages/web-client/download_page_test.ts": "writes files",
};

/** Single tests skipped in the browser (full name, " > "-joined), by why. */
export const SKIP_TESTS: Record<string, [RegExp, string][]> = {
  "packages/defer/failure_test.ts": [
    [/its stack$/, "stack traces name the bundle, not the test file"],
  ],
  "packages/reactor/_tcp_options_test.ts": [
    [/accepts every kind of host/, "listens on TCP"],
  ],
  "packages/reactor/reactor_test.ts": [
    [/SIG(INT|TERM)|signal/i, "a browser has no process signals"],
  ],
};

/** The browser's own tests (scripts/browser/in_browser_test.ts). */
const OWN_TESTS = join(ROOT, "scripts", "browser", "in_browser_test.ts");

/**
 * Browser-only tests of a package, run with it: what only a page can show
 * (it going away), kept in scripts/browser so that the other runtimes do
 * not pick them up.
 */
export const PACKAGE_BROWSER_TESTS: Record<string, string[]> = {
  defer: ["scripts/browser/unhandled_pagehide_test.ts"],
};

/**
 * Pages the browser tests open in frames and windows of their own: each
 * `scripts/browser/*_page.ts` is bundled on its own and served at
 * `/pages/<name>` (without `.ts`), on the page origin.
 */
const pageFiles = (): string[] =>
  walk(join(ROOT, "scripts", "browser"), (p) => p.endsWith("_page.ts"));

/** The Chromium binary: `$CHROMIUM`, or the first one installed. */
export function findChromium(): string | undefined {
  const env =
    (globalThis as { process?: { env: Record<string, string | undefined> } })
      .process?.env["CHROMIUM"];
  const candidates = [
    env,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  return candidates.find((c) => c !== undefined && existsSync(c));
}

/** The flags that let headless Chromium run here as root, offline (the site test uses them too). */
export const CHROMIUM_FLAGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

/**
 * Starts headless Chromium on `url` with the profile folder `profile` and
 * any `extra` flags; `stderr()` is the end of what it printed.
 */
export function startChromium(
  chromium: string,
  profile: string,
  url: string,
  extra: string[] = [],
): { child: ChildProcess; stderr: () => string } {
  const child = spawn(chromium, [
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    ...extra,
    url,
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Uint8Array) => {
    stderr = (stderr + new TextDecoder().decode(c)).slice(-4000);
  });
  return { child, stderr: () => stderr };
}

/** Stops a Chromium from {@linkcode startChromium}, and waits until it has gone. */
export async function stopChromium(child: ChildProcess): Promise<void> {
  child.removeAllListeners("exit");
  if (child.exitCode === null && child.signalCode === null) {
    // Its profile folder can be removed only once it has gone.
    const gone = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await gone;
  }
}

const isTest = (p: string): boolean => p.endsWith("_test.ts");

// The node: modules the browser run maps to its own versions.
const MAPPED = new Set([
  "node:test",
  "node:assert",
  "node:assert/strict",
  "node:process",
]);
const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g;

/**
 * The node: built-ins a test file needs, besides node:test and node:assert,
 * through its own imports and those of its test helpers (relative imports
 * of `testdata/` and `*_test_util.ts` files): a test that needs one cannot
 * run in a browser. Library files are not followed: they must load there.
 */
function nodeNeeds(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const code = readFileSync(file, "utf8").replace(/^\s*(\/\/|\*).*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(IMPORT_RE)) {
    const spec = m[1]!;
    if (spec.startsWith("node:") && !MAPPED.has(spec)) out.push(spec);
    else if (
      spec.startsWith(".") &&
      (/\/testdata\//.test(spec) || /_test_util\.ts$/.test(spec))
    ) {
      out.push(...nodeNeeds(join(dirname(file), spec), seen));
    }
  }
  return [...new Set(out)].sort();
}

/** The test files to run in the browser, and those skipped with why. */
export function browserTestFiles(dirs: string[] = []): {
  run: string[];
  skipped: [string, string][];
} {
  const run: string[] = [];
  const skipped: [string, string][] = [];
  for (const p of pick(dirs, libraryPackages())) {
    for (const f of walk(p.path, isTest).sort()) {
      const rel = relative(ROOT, f);
      const needs = nodeNeeds(f);
      const why = SKIP_FILES[rel] ??
        (needs.length ? `imports ${needs.join(", ")}` : undefined);
      if (why) skipped.push([rel, why]);
      else run.push(rel);
    }
    run.push(...PACKAGE_BROWSER_TESTS[p.dir] ?? []);
  }
  if (!dirs.length) run.push(relative(ROOT, OWN_TESTS));
  return { run, skipped };
}

/** Bundles the test files, in order, with the browser node:test and assert. */
async function bundle(files: string[], tmp: string): Promise<string> {
  const entry = join(tmp, "entry.ts");
  const harness = join(ROOT, "scripts", "browser", "node_test.ts");
  // The page runs each file in an iframe of its own, one after the other:
  // a fresh realm per file, as each file has its own process or isolate on
  // Node, Deno and Bun, so that no global state (logged failures, the
  // shared reactor) leaks from one file into the next.
  const lines = [
    `import { _file, _run } from ${JSON.stringify(harness)};`,
    `const post = (path, body) => fetch(path, { method: "POST", body: JSON.stringify(body) });`,
    `addEventListener("error", (e) => post("/log", String(e.error?.stack ?? e.message)));`,
    `addEventListener("unhandledrejection", (e) => post("/log", "unhandled rejection: " + String(e.reason?.stack ?? e.reason)));`,
    "const files = [",
  ];
  for (const f of files) {
    const skips = (SKIP_TESTS[f] ?? []).map(([re, why]) =>
      `[${re.toString()}, ${JSON.stringify(why)}]`
    );
    lines.push(
      `  [${JSON.stringify(f)}, [${skips.join(", ")}], () => import(${
        JSON.stringify(join(ROOT, f))
      })],`,
    );
  }
  lines.push(
    "];",
    'const which = new URLSearchParams(location.search).get("file");',
    "if (which === null) {",
    "  for (let n = 0; n < files.length; n++) {",
    "    await new Promise((resolve) => {",
    '      const frame = document.createElement("iframe");',
    "      const heard = (e) => {",
    "        if (e.data !== `file-done:${n}`) return;",
    '        removeEventListener("message", heard);',
    "        frame.remove();",
    "        resolve();",
    "      };",
    '      addEventListener("message", heard);',
    "      frame.src = `/?file=${n}`;",
    "      document.body.append(frame);",
    "    });",
    "  }",
    '  await post("/done", {});',
    "} else {",
    "  const [file, skips, load] = files[Number(which)];",
    "  try {",
    "    _file(file, skips);",
    "    await load();",
    "    // Every result is delivered before the frame is removed.",
    "    const sent = [];",
    '    await _run((r) => sent.push(post("/result", r)));',
    "    await Promise.all(sent);",
    "  } catch (e) {",
    '    await post("/result", { file, name: "(loading the file)", status: "fail", error: String(e?.stack ?? e) });',
    "  }",
    '  parent.postMessage(`file-done:${which}`, "*");',
    "}",
  );
  writeFileSync(entry, lines.join("\n") + "\n");
  return await esbuild(entry, join(tmp, "bundle.js"));
}

/** Bundles `entry` for the browser into `out`, with the node: shims, and returns it. */
async function esbuild(entry: string, out: string): Promise<string> {
  const shim = (n: string): string => join(ROOT, "scripts", "browser", n);
  await must(bin("esbuild"), [
    entry,
    "--bundle",
    "--format=esm",
    "--platform=browser",
    "--target=es2022",
    "--sourcemap=inline",
    "--log-level=warning",
    `--alias:node:test=${shim("node_test.ts")}`,
    `--alias:node:assert/strict=${shim("assert.ts")}`,
    `--alias:node:assert=${shim("assert.ts")}`,
    `--alias:node:process=${shim("process.ts")}`,
    `--outfile=${out}`,
  ], { stream: false });
  return readFileSync(out, "utf8");
}

interface Result {
  file: string;
  name: string;
  status: "pass" | "fail" | "skip" | "todo";
  reason?: string;
  error?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => resolve(new TextDecoder().decode(concat(chunks))));
    // A request the page aborted (a cancel test) has no body to read.
    req.on("error", () => resolve(""));
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The routes the browser's web-client tests fetch, under /wc/. */
function webClientRoute(
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
  hanging: Set<ServerResponse>,
): void {
  switch (path) {
    case "/wc/text":
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("hello");
      return;
    case "/wc/data.json":
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"hello":"browser"}');
      return;
    case "/wc/bytes":
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.end(new Uint8Array([0, 1, 2, 253, 254, 255]));
      return;
    case "/wc/echo":
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ method: req.method, headers: req.headers, body }),
      );
      return;
    case "/wc/hang":
      // Answered only when the run ends: for timeouts and cancels.
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    default:
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("Not Found");
  }
}

/**
 * Runs the browser tests of the named package folders (default: all, and
 * the browser's own tests) and returns the leaf counts.
 */
export async function runBrowserTests(
  dirs: string[] = [],
  timeoutSeconds = 600,
): Promise<BrowserCounts> {
  const counts: BrowserCounts = { passed: 0, failed: 0, skipped: 0, notes: [] };
  const chromium = findChromium();
  if (chromium === undefined) {
    console.log("browser: Chromium is not installed; skipping the browser run");
    counts.notes.push("Chromium is not installed: not run");
    return counts;
  }
  const { run, skipped } = browserTestFiles(dirs);
  for (const [f, why] of skipped) {
    console.log(`- ${f}: skipped in the browser (${why})`);
  }
  const tmp = mkdtempSync(join(tmpdir(), "twixt-browser-"));
  const hanging = new Set<ServerResponse>();
  let finish: (why: string | undefined) => void = () => {};
  const finished = new Promise<string | undefined>((r) => (finish = r));
  const results: Result[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const body = await readBody(req);
    res.setHeader("access-control-allow-origin", "*");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "access-control-allow-methods": "GET, POST, PUT, DELETE, HEAD",
        "access-control-allow-headers":
          req.headers["access-control-request-headers"] ?? "*",
      });
      res.end();
      return;
    }
    if (url.pathname.startsWith("/wc/") || url.pathname === "/data.json") {
      // /data.json: the web-client README's "In the browser" snippet.
      const path = url.pathname === "/data.json"
        ? "/wc/data.json"
        : url.pathname;
      webClientRoute(path, req, res, body, hanging);
      return;
    }
    switch (url.pathname) {
      case "/":
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(
          '<!doctype html><meta charset="utf-8"><title>twixt tests</title><body><script type="module" src="/bundle.js"></script>',
        );
        return;
      case "/bundle.js":
        res.writeHead(200, {
          "content-type": "text/javascript; charset=utf-8",
        });
        res.end(code);
        return;
    }
    const page = /^\/pages\/(\w+?)(\.js)?$/.exec(url.pathname);
    if (page && pages.has(page[1]!)) {
      res.writeHead(200, {
        "content-type": page[2]
          ? "text/javascript; charset=utf-8"
          : "text/html; charset=utf-8",
      });
      res.end(
        page[2]
          ? pages.get(page[1]!)
          : `<!doctype html><meta charset="utf-8"><title>${
            page[1]
          }</title><body><script type="module" src="/pages/${
            page[1]
          }.js"></script>`,
      );
      return;
    }
    switch (url.pathname) {
      case "/result": {
        let r: Result;
        try {
          r = JSON.parse(body) as Result;
        } catch {
          r = {
            file: "?",
            name: "(a result that did not arrive whole)",
            status: "fail",
          };
        }
        results.push(r);
        const mark = r.status === "pass"
          ? "ok"
          : r.status === "fail"
          ? "FAIL"
          : r.status;
        console.log(
          `${mark.padEnd(4)} ${r.file}: ${r.name}${
            r.reason ? ` # ${r.reason}` : ""
          }`,
        );
        if (r.error) console.log(r.error.replace(/^/gm, "       "));
        break;
      }
      case "/log":
        console.log(`browser: ${JSON.parse(body)}`);
        break;
      case "/done": {
        const d = JSON.parse(body) as { error?: string };
        finish(d.error);
        break;
      }
    }
    res.writeHead(204);
    res.end();
  });
  let code = "";
  const pages = new Map<string, string>();
  let child: ReturnType<typeof spawn> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    code = await bundle(run, tmp);
    for (const f of pageFiles()) {
      const name = f.slice(f.lastIndexOf("/") + 1, -3);
      pages.set(name, await esbuild(f, join(tmp, "pages", `${name}.js`)));
    }
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const profile = join(tmp, "profile");
    // Pop-ups allowed: a test closes a window it opened on a page.
    const started = startChromium(
      chromium,
      profile,
      `http://127.0.0.1:${port}/`,
      ["--disable-popup-blocking"],
    );
    child = started.child;
    child.on(
      "exit",
      (c) => finish(`Chromium exited early (code ${c}): ${started.stderr()}`),
    );
    timer = setTimeout(
      () => finish(`killed after ${timeoutSeconds} s`),
      timeoutSeconds * 1000,
    );
    const error = await finished;
    if (error !== undefined) {
      console.log(`browser: ${error}`);
      counts.notes.push(error.split("\n")[0]!);
      counts.failed += 1;
    }
  } catch (e) {
    console.log(e instanceof Error ? e.message : e);
    counts.notes.push("could not bundle or start the browser run");
    counts.failed += 1;
  } finally {
    clearTimeout(timer);
    if (child) await stopChromium(child);
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await removeProfile(tmp);
  }
  for (const r of results) {
    if (r.status === "pass") counts.passed++;
    else if (r.status === "fail") counts.failed++;
    else counts.skipped++;
  }
  counts.notes.unshift(
    `chromium: ${results.length} tests from ${run.length} files (${skipped.length} files skipped)`,
  );
  return counts;
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const t = args.find((a) => a.startsWith("--timeout="));
  const c = await runBrowserTests(
    args.filter((a) => !a.startsWith("--")),
    t ? Number(t.split("=")[1]) : undefined,
  );
  for (const n of c.notes) console.log(`  ${n}`);
  console.log(`${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
  process.exit(c.failed ? 1 : 0);
}

/**
 * Removes a Chromium profile folder: its helper processes may still write
 * there for a moment after the browser has gone, so a few tries, bounded.
 */
export async function removeProfile(dir: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    try {
      rmSync(dir, { recursive: true, force: true });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  console.log(`browser test: could not remove ${dir}`);
}
