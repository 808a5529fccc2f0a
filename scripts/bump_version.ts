/**
 * Sets one new version on every package: `version` in each deno.json and
 * package.json, the sibling `@twixt/*` dependencies (as `^X.Y.Z`), and a dated section in
 * CHANGELOG.md made from its `## [Unreleased]` notes.
 *
 * Usage: `deno run -A scripts/bump_version.ts <patch|minor|major|X.Y.Z>
 * [--dry-run]` (`npm run bump -- patch`).
 *
 * @module
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packages, readJson, rel, ROOT } from "./_lib.ts";

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

/** The version after `current` for a bump kind or an explicit version. */
export function nextVersion(current: string, how: string): string {
  if (SEMVER.test(how)) return how;
  const m = SEMVER.exec(current);
  if (!m) throw new Error(`Cannot parse the current version ${current}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  switch (how) {
    case "major":
      return `${major + 1}.0.0`;
    case "minor":
      return `${major}.${minor + 1}.0`;
    case "patch":
      return m[4]
        ? `${major}.${minor}.${patch}`
        : `${major}.${minor}.${patch + 1}`;
    default:
      throw new Error(
        `Cannot bump by ${how}: use patch, minor, major or X.Y.Z`,
      );
  }
}

const args = process.argv.slice(2);
const how = args.find((a) => !a.startsWith("--"));
const dry = args.includes("--dry-run");
if (!how) {
  console.error("usage: bump_version.ts <patch|minor|major|X.Y.Z> [--dry-run]");
  process.exit(2);
}
const all = packages();
const current = all[0]!.deno["version"] as string;
const next = nextVersion(current, how);
const names = new Set(all.map((p) => p.deno["name"] as string));

const writes: [string, string][] = [];
for (const p of all) {
  for (const file of ["deno.json", "package.json"]) {
    const path = join(p.path, file);
    const json = readJson(path);
    json["version"] = next;
    for (const dep of Object.keys(json["dependencies"] ?? {})) {
      if (names.has(dep)) json["dependencies"][dep] = `^${next}`;
    }
    writes.push([path, JSON.stringify(json, null, 2) + "\n"]);
  }
}
// The lockfile records each workspace package's version and its sibling
// dependencies; keep it in step so `npm ci` sees what package.json says.
const lockPath = join(ROOT, "package-lock.json");
const lock = readJson(lockPath);
for (const [key, entry] of Object.entries(lock["packages"] ?? {})) {
  const e = entry as Record<string, any>;
  if (!key.startsWith("packages/") || !names.has(e["name"])) continue;
  e["version"] = next;
  for (const dep of Object.keys(e["dependencies"] ?? {})) {
    if (names.has(dep)) e["dependencies"][dep] = `^${next}`;
  }
}
writes.push([lockPath, JSON.stringify(lock, null, 2) + "\n"]);

const changelog = join(ROOT, "CHANGELOG.md");
const text = readFileSync(changelog, "utf8");
if (!text.includes("## [Unreleased]")) {
  throw new Error("CHANGELOG.md has no ## [Unreleased] section");
}
const date = new Date().toISOString().slice(0, 10);
writes.push([
  changelog,
  text.replace("## [Unreleased]", `## [Unreleased]\n\n## [${next}] - ${date}`),
]);

for (const [path, body] of writes) {
  if (!dry) writeFileSync(path, body);
  console.log(`${dry ? "would write" : "wrote"} ${rel(path)}`);
}
console.log(`${current} → ${next}`);
