/**
 * The programs of the tutorial "Asynchronous programming with Twixt"
 * (docs/async.md) and its guides, each a script to run on its own:
 *
 * ```sh
 * npx deno run -A packages/examples/print_contents.ts [url]
 * ```
 *
 * `main.ts` runs the tutorial's programs in turn (`npm start`). What this
 * module exports is the small local web site they fetch their pages from
 * when given no URL, so that they run offline.
 *
 * @example Usage
 * ```ts
 * import { serveSite } from "@twixt/examples";
 * import assert from "node:assert/strict";
 *
 * const site = await serveSite();
 * assert.match(await (await fetch(site.url)).text(), /Twixt Library/);
 * await site.close();
 * ```
 *
 * @module
 */
export * from "./site.ts";
