/**
 * Builds the tutorial site (issue 14) into dist/site/ (gitignored): the
 * guides in docs/ and the package READMEs as HTML pages with navigation, a
 * table of contents, highlighted code (highlight.js) and the Mermaid
 * diagrams (rendered in the page by the copy of mermaid the site carries);
 * the chain explorers and Run buttons (scripts/site/client/, bundled with
 * esbuild with the real library); the source files the pages link to; and
 * the API reference (`deno doc --html`, with the packages' real import
 * specifiers, under an index of every package, entry point and symbol).
 *
 * Usage: `deno run -A scripts/site/build.ts [--out=DIR] [--serve]
 * [--port=N]` (`npm run site`, `npm run site -- --serve`).
 *
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import process from "node:process";
import { execFileSync } from "node:child_process";
import MarkdownIt from "markdown-it";
import anchor from "markdown-it-anchor";
import hljs from "highlight.js";
import * as esbuild from "esbuild";
import { denoExports } from "../build_npm.ts";
import {
  isMain,
  libraryPackages,
  mustTool,
  packages,
  ROOT,
  run,
} from "../_lib.ts";
import { pages as libraryPages } from "../../packages/examples/site.ts";
import { serve } from "./serve.ts";

/** Where `npm run site` writes the site. */
export const OUT: string = join(ROOT, "dist", "site");

/** One Markdown page of the site. */
export interface Page {
  /** The Markdown file, relative to the repository root. */
  src: string;
  /** The HTML file, relative to the site root. */
  out: string;
  /** The title (its first heading). */
  title: string;
  /** The navigation group. */
  group: "Guides" | "Packages" | "Project";
}

/** The tutorial programs that get a Run button, by example file. */
export const RUNNABLE: readonly string[] = [
  "packages/examples/print_contents.ts",
  "packages/examples/lower_case_contents.ts",
  "packages/examples/error_handler.ts",
];

const GUIDES = [
  "async.md",
  "using-deferreds.md",
  "generating-deferreds.md",
  "testing.md",
];

/** The site's Markdown pages, in navigation order. */
export function sitePages(): Page[] {
  const list: Page[] = [{
    src: "README.md",
    out: "index.html",
    title: "",
    group: "Project",
  }];
  for (const g of GUIDES) {
    if (!existsSync(join(ROOT, "docs", g))) continue;
    list.push({
      src: `docs/${g}`,
      out: `docs/${g.replace(/\.md$/, ".html")}`,
      title: "",
      group: "Guides",
    });
  }
  for (const p of packages()) {
    if (!existsSync(join(p.path, "README.md"))) continue;
    list.push({
      src: `packages/${p.dir}/README.md`,
      out: `packages/${p.dir}/index.html`,
      title: "",
      group: "Packages",
    });
  }
  for (const page of list) {
    const text = readFileSync(join(ROOT, page.src), "utf8");
    page.title = /^# (.+)$/m.exec(text)?.[1]?.trim() ?? page.src;
  }
  return list;
}

/** GitHub's heading slugs, so the guides' `#anchors` work on the site. */
export function slug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

function highlight(code: string, lang: string): string {
  const language = lang === "sh" || lang === "shell" ? "bash" : lang;
  const body = language && hljs.getLanguage(language)
    ? hljs.highlight(code, { language, ignoreIllegals: true }).value
    : escapeHtml(code);
  return `<pre><code class="hljs language-${
    escapeHtml(language || "text")
  }">${body}</code></pre>`;
}

/** A link between pages: `path` from the site root, relative to `from`. */
function hrefFrom(from: string, path: string): string {
  const r = relative(dirname(join("/", from)), join("/", path));
  const dir = path.endsWith("/") ? "/" : "";
  return r === "" ? "./" : r + dir;
}

interface Env {
  [key: string | symbol]: unknown;
  page: Page;
  pages: Page[];
  sources: Set<string>;
  toc: { level: number; id: string; text: string }[];
}

/** Where a relative link of a Markdown file leads on the site. */
function resolveLink(href: string, env: Env): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith("#")) return href;
  const [path = "", frag] = href.split("#", 2);
  const hash = frag === undefined ? "" : `#${frag}`;
  const target = normalize(join(dirname(env.page.src), path)).replace(
    /\/$/,
    "",
  );
  const page = env.pages.find((p) =>
    p.src === target || p.src === `${target}/README.md`
  );
  if (page) return hrefFrom(env.page.out, page.out) + hash;
  const abs = join(ROOT, target);
  if (existsSync(abs) && statSync(abs).isFile()) {
    env.sources.add(target);
    return hrefFrom(env.page.out, `src/${target}.html`);
  }
  return href;
}

function markdown(): InstanceType<typeof MarkdownIt> {
  const md = new MarkdownIt({ html: true, highlight });
  md.use(anchor, { slugify: slug, tabIndex: false });
  // Links between the repository's files become links between pages.
  md.core.ruler.push("twixt_links", (state) => {
    const env = state.env as unknown as Env;
    let file: string | undefined;
    for (const t of state.tokens) {
      if (t.type === "html_block") {
        file = /<!--\s*file:\s*(\S+?)(?:#\w+)?\s*-->/.exec(t.content)?.[1];
        continue;
      }
      if (t.type === "fence" && file !== undefined) {
        t.meta = { file };
        file = undefined;
      }
      if (t.type === "heading_open" && (t.tag === "h2" || t.tag === "h3")) {
        const i = state.tokens.indexOf(t);
        const text = state.tokens[i + 1]?.children
          ?.map((c) => c.content).join("") ?? "";
        env.toc.push({
          level: Number(t.tag[1]),
          id: String(t.attrGet("id") ?? slug(text)),
          text,
        });
      }
      for (const c of t.children ?? []) {
        if (c.type === "link_open") {
          c.attrSet("href", resolveLink(String(c.attrGet("href") ?? ""), env));
        }
      }
    }
  });
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, opts, mdEnv, self) => {
    const env = mdEnv as unknown as Env;
    const t = tokens[idx]!;
    if (t.info.trim() === "mermaid") {
      return `<pre class="mermaid">${escapeHtml(t.content)}</pre>\n`;
    }
    const html = fence(tokens, idx, opts, mdEnv, self);
    const file = (t.meta as { file?: string } | null)?.file;
    if (file !== undefined && RUNNABLE.includes(file)) {
      const name = file.replace(/^.*\/|\.ts$/g, "");
      return html +
        `<div class="run-program" data-program="${name}" data-src="${
          hrefFrom(env.page.out, `assets/programs/${name}.js`)
        }" data-library="${
          hrefFrom(env.page.out, "library/")
        }"><button type="button">Run ${name}.ts</button> <span class="note">in this page, against the site's own copy of the tutorial's pages</span><output></output></div>\n`;
    }
    return html;
  };
  return md;
}

function nav(pages: Page[], current: string): string {
  const groups = ["Project", "Guides", "Packages"] as const;
  let html = "";
  for (const g of groups) {
    html += `<h2>${g}</h2><ul>`;
    for (const p of pages.filter((x) => x.group === g)) {
      const here = p.out === current ? ' aria-current="page"' : "";
      html += `<li><a href="${hrefFrom(current, p.out)}"${here}>${
        escapeHtml(p.title)
      }</a></li>`;
    }
    html += "</ul>";
  }
  const api = "api/index.html";
  html += `<h2>Reference</h2><ul><li><a href="${hrefFrom(current, api)}"${
    current === api ? ' aria-current="page"' : ""
  }>API reference</a></li></ul>`;
  return html;
}

/** The page around `body`. */
function layout(opts: {
  out: string;
  title: string;
  body: string;
  pages: Page[];
  toc?: Env["toc"];
  mermaid?: boolean;
}): string {
  const base = (p: string): string => hrefFrom(opts.out, p);
  const toc = opts.toc?.length
    ? `<aside class="toc"><h2>On this page</h2><ul>${
      opts.toc.map((t) =>
        `<li class="l${t.level}"><a href="#${t.id}">${
          escapeHtml(t.text)
        }</a></li>`
      ).join("")
    }</ul></aside>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · Twixt</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base("assets/hljs.css")}">
<link rel="stylesheet" href="${base("assets/site.css")}">
</head>
<body>
<header class="top"><a class="brand" href="${
    base("index.html")
  }">Twixt</a> <span>Twisted's Deferred, reactor and getPage for TypeScript</span></header>
<div class="layout">
<nav class="sidebar">${nav(opts.pages, opts.out)}</nav>
<main>${opts.body}</main>
${toc}
</div>
${
    opts.mermaid
      ? `<script src="${base("assets/mermaid.min.js")}"></script>\n`
      : ""
  }<script defer src="${base("assets/site.js")}"></script>
</body>
</html>
`;
}

function write(out: string, rel: string, text: string): void {
  const path = join(out, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** Bundles the page script and the tutorial's programs for the browser. */
async function bundleClient(out: string): Promise<void> {
  const client = join(ROOT, "scripts", "site", "client");
  // A classic script, not a module: it then also runs from file://.
  await esbuild.build({
    entryPoints: [join(client, "main.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    outfile: join(out, "assets", "site.js"),
    logLevel: "warning",
  });
  const shims: esbuild.Plugin = {
    name: "twixt-program-shims",
    setup(b) {
      b.onResolve({ filter: /^\.\/site\.ts$/ }, () => ({
        path: join(client, "program_site.ts"),
      }));
      b.onResolve({ filter: /^node:process$/ }, () => ({
        path: join(client, "program_process.ts"),
      }));
    },
  };
  await esbuild.build({
    entryPoints: Object.fromEntries(
      RUNNABLE.map((f) => [f.replace(/^.*\/|\.ts$/g, ""), join(ROOT, f)]),
    ),
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: join(out, "assets", "programs"),
    plugins: [shims],
    inject: [join(client, "program_console_inject.ts")],
    logLevel: "warning",
  });
}

/** An entry point of a library package. */
export interface EntryPoint {
  /** The import specifier, e.g. `@twixt/reactor/task`. */
  specifier: string;
  /** The file, relative to packages/, as deno doc names it: `reactor/task.ts`. */
  file: string;
}

/** Every entry point of the library packages. */
export function entryPoints(): EntryPoint[] {
  return libraryPackages().flatMap((p) =>
    Object.entries(denoExports(p)).map(([key, f]) => ({
      specifier: key === "."
        ? String(p.deno["name"])
        : `${p.deno["name"]}/${key.replace(/^\.\//, "")}`,
      file: `${p.dir}/${f.replace(/^\.\//, "")}`,
    }))
  );
}

interface DocSymbol {
  name: string;
  declarations: {
    kind: string;
    jsDoc?: { doc?: string };
  }[];
}
interface DocModule {
  module_doc?: { doc?: string };
  symbols: DocSymbol[];
}

/** Writes the API reference into `out`/api. */
async function buildApi(out: string, pages: Page[]): Promise<number> {
  const entries = entryPoints();
  const files = entries.map((e) => join("packages", e.file));
  const dir = join(out, "api");
  const html = await run(mustTool("deno"), [
    "doc",
    "--no-npm",
    "--html",
    "--name=Twixt",
    `--output=${dir}`,
    ...files,
  ], { cwd: ROOT, stream: false });
  if (html.code !== 0) {
    throw new Error(`deno doc --html failed\n${html.output}`);
  }
  const [deno, ...denoArgs] = mustTool("deno");
  const json = execFileSync(deno!, [
    ...denoArgs,
    "doc",
    "--no-npm",
    "--json",
    ...files,
  ], { cwd: ROOT, maxBuffer: 1 << 28, encoding: "utf8" });
  const nodes = (JSON.parse(json) as {
    nodes: Record<string, DocModule>;
  }).nodes;

  // The usage lines and titles name the files (`"defer/mod.ts"`): give
  // them the import specifiers a user writes.
  const names = new Map(entries.map((e) => [e.file, e.specifier]));
  const fileRe = new RegExp(
    `(?<![\\w./-])(${
      entries.map((e) => e.file.replace(/[.]/g, "\\.")).join("|")
    })(?![\\w/])`,
    "g",
  );
  // The breadcrumbs write the file as text with an entity for each "/".
  const entityNames = new Map(
    entries.map((e) => [e.file.replace(/\//g, "&#x2F;"), e.specifier]),
  );
  const entityRe = new RegExp(
    `(?<=>)(${
      [...entityNames.keys()].map((f) => f.replace(/[.]/g, "\\.")).join("|")
    })(?=<)`,
    "g",
  );
  let rewritten = 0;
  const walkHtml = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walkHtml(p);
      else if (name.endsWith(".html")) {
        const text = readFileSync(p, "utf8");
        const next = text.replace(fileRe, (f) => names.get(f) ?? f)
          .replace(entityRe, (f) => entityNames.get(f) ?? f);
        if (next !== text) {
          writeFileSync(p, next);
          rewritten++;
        }
      }
    }
  };
  walkHtml(dir);

  const md = new MarkdownIt({ html: false, highlight });
  let body =
    `<h1>API reference</h1><p>Every package and entry point of Twixt, with its module documentation and every exported symbol. Each symbol's page has its full documentation and examples; <a href="all_symbols.html">all symbols</a> lists them in one page.</p>`;
  const toc: Env["toc"] = [];
  for (const p of libraryPackages()) {
    const name = String(p.deno["name"]);
    const id = slug(name);
    toc.push({ level: 2, id, text: name });
    const readme = pages.find((x) => x.src === `packages/${p.dir}/README.md`);
    body += `<section class="api-package"><h2 id="${id}">${
      escapeHtml(name)
    }</h2>${
      readme
        ? `<p><a href="${
          hrefFrom("api/index.html", readme.out)
        }">The package's guide (README)</a></p>`
        : ""
    }`;
    for (const e of entries.filter((x) => x.file.startsWith(`${p.dir}/`))) {
      const mod = nodes[`file://${join(ROOT, "packages", e.file)}`];
      // The package's own entry shares its name with the package heading.
      const eid = e.specifier === name
        ? `${slug(name)}-entry`
        : slug(e.specifier);
      if (e.specifier !== name) {
        toc.push({ level: 3, id: eid, text: e.specifier });
      }
      body += `<article class="api-entry" data-entry="${
        escapeHtml(e.specifier)
      }"><h3 id="${eid}"><code>${escapeHtml(e.specifier)}</code></h3>`;
      body += `<div class="module-doc">${
        md.render(
          jsdocLinks(stripExamples(mod?.module_doc?.doc ?? ""), dir, e.file),
        )
      }</div>`;
      body += `<table class="symbols"><tbody>`;
      const symbols = [...(mod?.symbols ?? [])].sort((a, b) =>
        a.name.localeCompare(b.name)
      );
      for (const s of symbols) {
        const decl = s.declarations[0];
        const summary = jsdocLinks(
          firstSentence(decl?.jsDoc?.doc ?? ""),
          dir,
          e.file,
        );
        const href = `${e.file}/~/${s.name}.html`;
        // deno doc makes no page for a few (an exported `_` type alias).
        const link = existsSync(join(dir, href))
          ? `<a href="${escapeHtml(href)}">${escapeHtml(s.name)}</a>`
          : escapeHtml(s.name);
        body += `<tr><td><code>${
          escapeHtml(decl?.kind ?? "")
        }</code></td><td>${link}</td><td>${md.renderInline(summary)}</td></tr>`;
      }
      body += `</tbody></table><pre><code class="hljs language-ts">${
        hljs.highlight(
          `import { ${
            symbols.slice(0, 2).map((s) => s.name).join(", ")
          } } from "${e.specifier}";`,
          { language: "ts" },
        ).value
      }</code></pre></article>`;
    }
    body += `</section>`;
  }
  write(
    out,
    "api/index.html",
    layout({ out: "api/index.html", title: "API reference", body, pages, toc }),
  );
  return rewritten;
}

// The module docs' examples are on the entry point's own page.
function stripExamples(doc: string): string {
  return doc.replace(/```[\s\S]*?```/g, "").trim();
}

function firstSentence(doc: string): string {
  const para = doc.split(/\n\s*\n/)[0]!.replace(/\s+/g, " ").trim();
  const m = /^(.+?\.)(\s|$)/.exec(para);
  return (m ? m[1]! : para).replace(/:$/, ".");
}

/**
 * JSDoc's `{@link X}` and `{@linkcode X}` as Markdown links to X's page
 * among `dir`'s (relative to api/), or as code where X has none.
 */
function jsdocLinks(text: string, apiDir: string, file: string): string {
  return text.replace(
    /\{@link(code|plain)?\s+([^}\s|]+)(?:[\s|]+([^}]*))?\}/g,
    (_, _kind, target: string, label?: string) => {
      const href = `${file}/~/${target}.html`;
      const shown = label?.trim() || `\`${target}\``;
      return existsSync(join(apiDir, href)) ? `[${shown}](${href})` : shown;
    },
  );
}

/** Builds the whole site into `out`; returns what it wrote. */
export async function buildSite(out: string = OUT): Promise<{
  pages: Page[];
  sources: string[];
  apiPages: number;
}> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const pages = sitePages();
  const md = markdown();
  const sources = new Set<string>();
  for (const page of pages) {
    const env: Env = { page, pages, sources, toc: [] };
    const text = readFileSync(join(ROOT, page.src), "utf8");
    const body = md.render(text, env);
    write(
      out,
      page.out,
      layout({
        out: page.out,
        title: page.title,
        body,
        pages,
        toc: env.toc,
        mermaid: body.includes('class="mermaid"'),
      }),
    );
  }
  for (const src of [...sources].sort()) {
    const out_ = `src/${src}.html`;
    const code = readFileSync(join(ROOT, src), "utf8");
    const lang = src.endsWith(".py") ? "python" : "ts";
    write(
      out,
      out_,
      layout({
        out: out_,
        title: src,
        body: `<h1><code>${escapeHtml(src)}</code></h1>${
          highlight(code, lang)
        }`,
        pages,
      }),
    );
  }
  // The tutorial's pages, for the Run buttons (library/does-not-exist is
  // missing on purpose: error_handler's 404).
  for (const [path, text] of Object.entries(libraryPages)) {
    write(out, `library/${path === "/" ? "index.html" : path.slice(1)}`, text);
  }
  // Browsers ask for /favicon.ico where a page names no icon (deno doc's).
  write(out, "favicon.ico", "");
  const assets = join(out, "assets");
  mkdirSync(assets, { recursive: true });
  const here = join(ROOT, "scripts", "site");
  copyFileSync(join(here, "site.css"), join(assets, "site.css"));
  copyFileSync(
    join(ROOT, "node_modules", "highlight.js", "styles", "github.css"),
    join(assets, "hljs.css"),
  );
  copyFileSync(
    join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js"),
    join(assets, "mermaid.min.js"),
  );
  await bundleClient(out);
  const apiPages = await buildApi(out, pages);
  return { pages, sources: [...sources], apiPages };
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const outArg = args.find((a) => a.startsWith("--out="));
  const out = outArg ? resolve(outArg.slice(6)) : OUT;
  const built = await buildSite(out);
  await esbuild.stop();
  console.log(
    `site: ${built.pages.length} pages, ${built.sources.length} source files and the API reference written to ${
      relative(process.cwd(), out) || "."
    }/index.html`,
  );
  if (args.includes("--serve")) {
    const portArg = args.find((a) => a.startsWith("--port="));
    // Port 8000 unless told; any free port if 8000 is taken.
    const server = portArg
      ? await serve(out, Number(portArg.slice(7)))
      : await serve(out, 8000).catch(() => serve(out, 0));
    console.log(`site: serving on ${server.url} (Ctrl-C to stop)`);
  }
}
