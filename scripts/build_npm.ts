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
 * package, and `.` inside a package folder builds that one.
 *
 * @module
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
      dependencies[dep] = sibling.deno["version"] as string;
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
  const manifest: Json = {
    name,
    version,
    description: moduleSummary(entry) ?? root["description"],
    license: pkg.deno["license"] ?? "MIT",
    type: "module",
    ...(main ? { main: `${main}.js`, types: `${main}.d.ts` } : {}),
    exports: exportMap,
    sideEffects: false,
    engines: { node: ">=20" },
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
    keywords: root["keywords"] ?? [],
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
    if (existsSync(src)) copyFileSync(src, join(out, doc));
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
  try {
    await build(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
