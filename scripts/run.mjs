#!/usr/bin/env node
/**
 * Runs a repository TypeScript program on the runtime of the package manager
 * that started it, so that package.json scripts serve npm and Bun users
 * alike: under `bun run` the program runs on Bun, under `npm run` (or
 * anything else) on Deno, with `-A`. Plain JavaScript, so that Node (for
 * npm) or Bun's `node` can start it.
 *
 * Usage (package.json scripts): `node scripts/run.mjs <file.ts> [args...]`
 *
 * @module
 */
import { spawn } from "node:child_process";
import process from "node:process";

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error("usage: node scripts/run.mjs <file.ts> [args...]");
  process.exit(2);
}
const agent = process.env["npm_config_user_agent"] ?? "";
const onBun = agent.startsWith("bun/") || process.versions["bun"] !== undefined;
const bun = process.versions["bun"] !== undefined
  ? process.execPath
  : (process.env["npm_execpath"] || "bun");
const argv = onBun
  ? [bun, file, ...args]
  : ["deno", "run", "-A", file, ...args];
const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
child.on("error", (e) => {
  console.error(
    `Cannot run ${
      argv[0]
    }: ${e.message} (npm ci, deno install or bun install first)`,
  );
  process.exit(127);
});
// Signals reach the child through the terminal's process group; pass on
// its exit status.
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 : 1));
});
