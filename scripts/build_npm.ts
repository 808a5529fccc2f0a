/**
 * Builds each library package into `packages/<p>/npm/` for Node and npm:
 * ESM JavaScript, `.d.ts` types and source maps from tsc, plus a generated
 * package.json, the package README and the LICENSE.
 *
 * dnt would do this job but cannot be fetched here (JSR is unreachable), so
 * tsc does it: `rewriteRelativeImportExtensions` turns `./x.ts` into `./x.js`
 * in the JavaScript. Only the files the package's deno.json `exports` reach
 * are compiled, so tests, benches and Deno-only helpers stay out; a library
 * file that uses `Deno.*` fails the build (the build has Node's types only).
 *
 * Usage: `deno run -A scripts/build_npm.ts [package-dir...]`
 * (`npm run build`, `deno task build`); no argument builds every library
 * package (through turbo where turbo, npm and Node are installed, see
 * scripts/_turbo.ts; `--no-turbo` or a Deno-only or Bun-only clone builds
 * directly), and `.` inside a package folder builds that one.
 *
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import {
  isMain,
  type Json,
  libraryPackages,
  must,
  mustTool,
  pick,
  type Pkg,
  readJson,
  rel,
  ROOT,
  walk,
} from "./_lib.ts";
import { viaTurbo } from "./_turbo.ts";

/** Maps a deno.json export target (`./mod.ts`) to its built file stem (`./mod`). */
function stem(target: string): string {
  if (!/^\.\/.*\.ts$/.test(target)) {
    throw new Error(`Export target ${target} is not a ./*.ts file`);
  }
  return target.slice(0, -3);
}

/** The deno.json `exports` as a record of subpath to file. */
export function denoExports(pkg: Pkg): Record<string, string> {
  const e = pkg.deno["exports"];
  return typeof e === "string" ? { ".": e } : { ...e };
}

/** First paragraph of the module doc opening `file`, as one line. */
function moduleSummary(file: string): string | undefined {
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(readFileSync(file, "utf8"));
  if (!m) return undefined;
  const lines = m[1]!.split("\n").map((l) => l.replace(/^\s*\* ?/, "").trim());
  const para: string[] = [];
  for (const l of lines) {
    if (l === "" && para.length) break;
    if (l.startsWith("@")) break;
    if (l) para.push(l);
  }
  return para.join(" ") || undefined;
}

/** Bare specifiers (not relative, not `node:`) that a built JS file imports, comments aside. */
function bareImports(js: string): string[] {
  const re = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"'./][^"']*)["']/g;
  const out: string[] = [];
  const code = js.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const m of code.matchAll(re)) {
    const spec = m[1]!;
    if (!spec.startsWith("node:")) out.push(spec);
  }
  return out;
}

/** The npm package name of a bare specifier (`@a/b/c` → `@a/b`). */
function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** Where a file under the package folder is found in the repository, for text. */
const repoPath = (pkg: Pkg, target: string): string =>
  `packages/${pkg.dir}/${target}`.split("/").reduce((out: string[], part) => {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
    return out;
  }, []).join("/");

/** Markdown links and images, inline (`[t](u)`) and reference (`[t]: u`). */
const INLINE_LINK = /(!?)\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
const REF_LINK = /^\[([^\]]+)\]:\s*(\S+).*$/gm;

/** Whether a link target works on a registry page (absolute, or an anchor). */
const portable = (target: string): boolean =>
  /^(https?:|mailto:|#)/.test(target);

/**
 * The package README as the registries show it. A link relative to the
 * repository (`../examples/email.ts`) has nowhere to go on npm or JSR, and
 * the repository has no public URL to point it at, so it becomes text that
 * names the file in the repository. A note on the Node versions follows.
 */
export function publishedReadme(pkg: Pkg, text: string): string {
  const named = (label: string, target: string): string => {
    const path = repoPath(pkg, target.replace(/[?#].*$/, ""));
    const base = path.split("/").pop();
    return label === base || label === `\`${base}\`` || label === ""
      ? `\`${path}\` in the Twixt repository`
      : `${label} (\`${path}\` in the Twixt repository)`;
  };
  const body = text
    .replace(
      INLINE_LINK,
      (all, bang: string, label: string, target: string) =>
        portable(target) ? all : bang ? `(${named(label, target)})` : named(
          label,
          target,
        ),
    )
    .replace(
      REF_LINK,
      (all, label: string, target: string) =>
        portable(target) ? all : `[${label}]: #${slug(label)}`,
    );
  return `${body.trimEnd()}\n\n${NODE_NOTE}`;
}

/** What the published README says about Node versions (with `engines`). */
export const NODE_NOTE = `## Node versions

ESM only, with \`.d.ts\` types and declaration maps into the TypeScript
source carried in \`src/\`. \`import\` works on Node 20.16 and later
(\`engines\`: \`>=20.16.0\`: Node built-ins are reached through
\`process.getBuiltinModule\`, so that every entry point also loads in a
browser); \`require()\` of this package needs Node 20.19 or later, where
Node loads ES modules from \`require()\`. On Deno and Bun, use
the TypeScript source directly.
`;

/** GitHub's anchor for a heading. */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/**
 * Links in a published README that cannot work on the registry's page: not
 * absolute, or an anchor to no heading.
 */
export function brokenLinks(text: string): string[] {
  const anchors = new Set(
    [...text.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6}\s+(.*)$/gm)]
      .map((m) => slug(m[1]!.replace(/`/g, ""))),
  );
  const bad: string[] = [];
  const prose = text.replace(/```[\s\S]*?```/g, "");
  const targets = [
    ...[...prose.matchAll(INLINE_LINK)].map((m) => m[3]!),
    ...[...prose.matchAll(REF_LINK)].map((m) => m[2]!),
    ...[...prose.matchAll(/\bhref="([^"]*)"/g)].map((m) => m[1]!),
  ];
  for (const t of targets) {
    if (!portable(t)) bad.push(t);
    else if (t.startsWith("#") && !anchors.has(t.slice(1))) bad.push(t);
  }
  return bad;
}

/**
 * Copies the TypeScript sources of the emitted files into `npm/src/` and
 * points every source map (`.js.map`, `.d.ts.map`) at them, so that a
 * debugger and "go to definition" land in the TypeScript as written. They
 * are kept apart from the `.d.ts` files: TypeScript resolves `./x.js` to a
 * sibling `x.ts` before `x.d.ts`, and consumers would then type-check our
 * source with their own options.
 */
function carrySources(pkg: Pkg, out: string): void {
  const src = join(out, "src");
  for (const map of walk(out, (p) => p.endsWith(".map"))) {
    const json = JSON.parse(readFileSync(map, "utf8"));
    json.sources = (json.sources as string[]).map((s) => {
      const abs = resolve(dirname(map), json.sourceRoot ?? "", s);
      const inPkg = relative(pkg.path, abs);
      if (inPkg.startsWith("..")) {
        throw new Error(`${rel(map)} maps to ${rel(abs)}, outside the package`);
      }
      const copy = join(src, inPkg);
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(abs, copy);
      return relative(dirname(map), copy).split(sep).join("/");
    });
    delete json.sourceRoot;
    delete json.sourcesContent;
    writeFileSync(map, JSON.stringify(json));
  }
}

/** Builds one package into its npm/ folder and returns the written manifest. */
export async function buildPackage(pkg: Pkg): Promise<Json> {
  const name = pkg.deno["name"] as string;
  const version = pkg.deno["version"] as string;
  const exports = denoExports(pkg);
  const out = join(pkg.path, "npm");
  rmSync(out, { recursive: true, force: true });

  // Compile the exported entry points and everything they import.
  const tmp = mkdtempSync(join(tmpdir(), "twixt-build-"));
  try {
    const config = join(tmp, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(ROOT, "tsconfig.build.json"),
        compilerOptions: { rootDir: pkg.path, outDir: out },
        files: Object.values(exports).map((f) => join(pkg.path, f)),
      }),
    );
    await must(mustTool("tsc"), ["-p", config, "--pretty", "false"]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  carrySources(pkg, out);

  // Nothing test- or bench-like may ride along with an export.
  const emitted = walk(out, (p) => p.endsWith(".js"));
  const stray = emitted.filter((p) =>
    /(_test|_bench)\.js$|\/(bench|testdata)\//.test(p)
  );
  if (stray.length) {
    throw new Error(
      `${name}: exports reach test or bench files: ${
        stray.map(rel).join(", ")
      }`,
    );
  }

  // Dependencies: the sibling @twixt packages the code imports, same version.
  const siblings = new Map(
    libraryPackages().map((p) => [p.deno["name"] as string, p]),
  );
  const dependencies: Record<string, string> = {};
  for (const file of emitted) {
    for (const spec of bareImports(readFileSync(file, "utf8"))) {
      const dep = packageOf(spec);
      if (dep === name) {
        throw new Error(
          `${name}: ${
            rel(file)
          } imports its own package ${spec}; use a relative import`,
        );
      }
      const sibling = siblings.get(dep);
      if (!sibling) {
        throw new Error(
          `${name}: ${
            rel(file)
          } imports ${spec}, which is neither node: nor a sibling @twixt package`,
        );
      }
      // A caret range: npm can then share one copy of a sibling among
      // packages that want compatible versions.
      dependencies[dep] = `^${sibling.deno["version"]}`;
    }
  }
  // turbo's task graph and npm workspaces read the private package.json.
  const declared = Object.keys(pkg.npm["dependencies"] ?? {});
  const undeclared = Object.keys(dependencies).filter((d) =>
    !declared.includes(d)
  );
  if (undeclared.length) {
    throw new Error(
      `${name}: imports ${
        undeclared.join(", ")
      }, missing from the dependencies of ${
        rel(join(pkg.path, "package.json"))
      }`,
    );
  }

  const root = readJson(join(ROOT, "package.json"));
  const entry = join(pkg.path, exports["."] ?? Object.values(exports)[0]!);
  const exportMap: Record<string, unknown> = {};
  for (const [sub, target] of Object.entries(exports)) {
    // One ESM build serves every runtime: the conditions say so to bundlers
    // and publint (types first, default last); none needs a shim.
    const js = `${stem(target)}.js`;
    exportMap[sub] = {
      types: `${stem(target)}.d.ts`,
      browser: js,
      deno: js,
      bun: js,
      node: js,
      default: js,
    };
  }
  exportMap["./package.json"] = "./package.json";
  const main = exports["."] ? stem(exports["."]) : undefined;
  // Files with an effect at import (a registration), as the workspace
  // package.json lists them for bundlers; every other module can be dropped
  // when nothing of it is used.
  const effects = pkg.npm["sideEffects"];
  const sideEffects = Array.isArray(effects)
    ? effects.filter((f: string) => /\.ts$/.test(f) && !f.includes("/npm/"))
      .map((f: string) => `${stem(f)}.js`)
    : false;
  const manifest: Json = {
    name,
    version,
    description: pkg.npm["description"] ?? moduleSummary(entry) ??
      root["description"],
    license: pkg.deno["license"] ?? "MIT",
    type: "module",
    ...(main ? { main: `${main}.js`, types: `${main}.d.ts` } : {}),
    exports: exportMap,
    sideEffects,
    // process.getBuiltinModule (TCP, TLS, files, context) needs 20.16;
    // require() of ESM needs 20.19 (the README says so).
    engines: { node: ">=20.16.0" },
    ...(root["repository"]
      ? {
        repository: {
          ...root["repository"],
          directory: `packages/${pkg.dir}`,
        },
      }
      : {}),
    ...(root["homepage"] ? { homepage: root["homepage"] } : {}),
    ...(root["bugs"] ? { bugs: root["bugs"] } : {}),
    keywords: pkg.npm["keywords"] ?? root["keywords"] ?? [],
    ...(Object.keys(dependencies).length
      ? {
        dependencies: Object.fromEntries(Object.entries(dependencies).sort()),
      }
      : {}),
  };
  writeFileSync(
    join(out, "package.json"),
    JSON.stringify(manifest, null, 2) + "\n",
  );

  for (const doc of ["README.md", "LICENSE"]) {
    const own = join(pkg.path, doc);
    const src = existsSync(own) ? own : join(ROOT, doc);
    if (existsSync(src) && doc === "README.md") {
      writeFileSync(
        join(out, doc),
        publishedReadme(pkg, readFileSync(src, "utf8")),
      );
    } else if (existsSync(src)) copyFileSync(src, join(out, doc));
    if (!existsSync(own) && doc === "README.md") {
      console.warn(
        `${name}: no README.md in ${rel(pkg.path)}; using the root one`,
      );
    }
  }
  return manifest;
}

/** Builds the named package folders (default: every library package). */
export async function build(dirs: string[] = []): Promise<Pkg[]> {
  const wanted = pick(dirs, libraryPackages());
  const built: Pkg[] = [];
  for (const pkg of wanted) {
    if (!existsSync(join(pkg.path, denoExports(pkg)["."] ?? "mod.ts"))) {
      console.log(`skip ${pkg.deno["name"]}: no entry file yet`);
      continue;
    }
    const t0 = performance.now();
    const m = await buildPackage(pkg);
    const ms = Math.round(performance.now() - t0);
    console.log(
      `built ${m["name"]}@${m["version"]} → ${
        rel(join(pkg.path, "npm"))
      } (${ms} ms)`,
    );
    built.push(pkg);
  }
  return built;
}

if (isMain(import.meta)) {
  // With no argument, turbo builds each package (its `build` task, this
  // script on that folder), restoring unchanged ones from its cache.
  const code = process.argv.length === 2
    ? await viaTurbo(["build"])
    : undefined;
  if (code !== undefined) process.exit(code);
  try {
    await build(process.argv.slice(2).filter((a) => a !== "--no-turbo"));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
