/**
 * A small web site served from this process on 127.0.0.1, so that the
 * tutorial's programs fetch real pages over real HTTP without leaving the
 * machine.
 *
 * The site holds a front page, a few pages about the librarian and the
 * mushrooms from the tutorial, a page that answers slowly (for timeouts and
 * cancellation), and nothing at `/does-not-exist`, which answers
 * `404 Not Found`. It listens on port 0, so the system picks a free port.
 *
 * @example Usage
 * ```ts
 * import { serveSite } from "@twixt/examples/site";
 * import assert from "node:assert/strict";
 *
 * const site = await serveSite();
 * const response = await fetch(site.url + "mushrooms");
 * assert.match(await response.text(), /poisonous/);
 * await site.close();
 * ```
 *
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** The pages of the site, by path; any other path answers 404. */
export const pages: Readonly<Record<string, string>> = {
  "/": `<!DOCTYPE html>
<html>
<head><title>Twixt: Twisted's Deferred in TypeScript</title></head>
<body>
<h1>Welcome to the Twixt Library</h1>
<p>Ask the Librarian a question and leave a Phone Number.</p>
<ul>
<li><a href="/mushrooms">Are these Mushrooms poisonous?</a></li>
<li><a href="/recipes">Another Recipe</a></li>
<li><a href="/guests">The Dinner Guests</a></li>
</ul>
</body>
</html>
`,
  "/mushrooms": `They're highly poisonous.
`,
  "/recipes":
    `It's too late to use another recipe: our dinner party is cancelled.
`,
  "/guests": `Seven disappointed dinner guests.
`,
};

/** A running site; see {@linkcode serveSite}. */
export interface Site {
  /** The site's address, with a trailing slash: `http://127.0.0.1:PORT/`. */
  readonly url: string;
  /** Stops listening, drops open connections and pending slow answers. */
  close(): Promise<void>;
}

/**
 * Starts the site on 127.0.0.1 on a free port.
 *
 * Besides {@linkcode pages}, `/slow?seconds=N` answers "Sorry to keep you
 * waiting." after N seconds (default 10), and `/does-not-exist` (like any
 * unknown path) answers `404 Not Found`.
 *
 * @returns The running site, once it listens.
 * @example Usage
 * ```ts
 * import { serveSite } from "@twixt/examples/site";
 * import assert from "node:assert/strict";
 *
 * const site = await serveSite();
 * assert.equal((await fetch(site.url + "does-not-exist")).status, 404);
 * await site.close();
 * ```
 */
export function serveSite(): Promise<Site> {
  // Slow answers still waiting; close() cancels them so no timer outlives
  // the site and the program can exit on its own.
  const waiting = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const page = pages[url.pathname];
    if (page !== undefined) {
      send(res, 200, page, url.pathname === "/" ? "text/html" : "text/plain");
    } else if (url.pathname === "/slow") {
      const seconds = Number(url.searchParams.get("seconds") ?? 10);
      const timer = setTimeout(() => {
        waiting.delete(timer);
        send(res, 200, "Sorry to keep you waiting.\n", "text/plain");
      }, seconds * 1000);
      waiting.add(timer);
      res.on("close", () => {
        clearTimeout(timer);
        waiting.delete(timer);
      });
    } else {
      send(res, 404, "No such page.\n", "text/plain");
    }
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close(): Promise<void> {
          closing ??= new Promise<void>((done) => {
            for (const timer of waiting) clearTimeout(timer);
            waiting.clear();
            server.close(() => done());
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}

/** The part of the reactor that {@linkcode localSite} uses. */
export interface ShutdownTriggers {
  /** Registers `fn` to run when the reactor shuts down. */
  addSystemEventTrigger(
    phase: "before",
    event: "shutdown",
    fn: () => unknown,
  ): unknown;
}

/**
 * Starts the site and closes it when `reactor` shuts down: the stand-in for
 * the web that the tutorial's programs use when given no URL.
 *
 * @param reactor The reactor whose shutdown closes the site.
 * @param path The page to return the address of.
 * @returns The full address of `path` on the site.
 * @example Usage
 * ```ts
 * import { localSite } from "@twixt/examples/site";
 * import assert from "node:assert/strict";
 *
 * const shutdown: Array<() => unknown> = [];
 * const url = await localSite({
 *   addSystemEventTrigger: (_phase, _event, fn) => shutdown.push(fn),
 * }, "/guests");
 * assert.match(await (await fetch(url)).text(), /dinner guests/);
 * for (const fn of shutdown) await fn();
 * ```
 */
export async function localSite(
  reactor: ShutdownTriggers,
  path = "/",
): Promise<string> {
  const site = await serveSite();
  reactor.addSystemEventTrigger("before", "shutdown", () => site.close());
  return new URL(path, site.url).href;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
): void {
  res.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "content-length": String(new TextEncoder().encode(body).length),
  });
  res.end(body);
}
