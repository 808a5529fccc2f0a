/**
 * Packs each built library package (`packages/<p>/npm/`) into a tarball,
 * with `npm pack`, into `dist/` or the folder given by `--out DIR`.
 *
 * Usage: `deno run -A scripts/pack.ts [--out DIR] [--no-build]`
 * (`npm run pack`). Builds first unless `--no-build`.
 *
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "./build_npm.ts";
import {
  isMain,
  libraryPackages,
  must,
  type Pkg,
  QUIET_ENV,
  rel,
  ROOT,
} from "./_lib.ts";

/** One tarball written by {@linkcode pack}. */
export interface Tarball {
  /** npm package name. */
  name: string;
  /** Package version. */
  version: string;
  /** Absolute path of the .tgz file. */
  file: string;
  /** Size of the tarball in bytes. */
  size: number;
  /** Size of the unpacked files in bytes. */
  unpackedSize: number;
  /** Paths inside the package. */
  files: string[];
}

/**
 * Packs each built library package (or those of `pkgs`) into `outDir` and
 * describes the tarballs.
 */
export async function pack(
  outDir: string,
  pkgs: Pkg[] = libraryPackages(),
): Promise<Tarball[]> {
  mkdirSync(outDir, { recursive: true });
  const out: Tarball[] = [];
  for (const pkg of pkgs) {
    const dir = join(pkg.path, "npm");
    if (!existsSync(join(dir, "package.json"))) continue;
    const json = await must(
      "npm",
      ["pack", "--json", "--ignore-scripts", "--pack-destination", outDir],
      { cwd: dir, stream: false, env: QUIET_ENV },
    );
    // npm may print notices before the JSON array.
    const info = JSON.parse(json.slice(json.indexOf("[")))[0];
    out.push({
      name: info.name,
      version: info.version,
      file: join(outDir, info.filename),
      size: info.size,
      unpackedSize: info.unpackedSize,
      files: info.files.map((f: { path: string }) => f.path),
    });
  }
  return out;
}

if (isMain(import.meta)) {
  const args = process.argv.slice(2);
  const i = args.indexOf("--out");
  const outDir = resolve(i >= 0 ? args[i + 1]! : join(ROOT, "dist"));
  try {
    if (!args.includes("--no-build")) await build();
    for (const t of await pack(outDir)) {
      console.log(
        `${rel(t.file)}  ${
          (t.size / 1024).toFixed(1)
        } KB packed, ${t.files.length} files`,
      );
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
