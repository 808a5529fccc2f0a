/**
 * A static file server for the built site on 127.0.0.1 (`npm run site --
 * --serve`), also used by the site's test, which adds its own routes.
 *
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** A running site server. */
export interface SiteServer {
  /** Its address, with a trailing slash: `http://127.0.0.1:PORT/`. */
  url: string;
  /** The node:http server. */
  server: Server;
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * A route the caller handles before the files: returns true if it
 * answered.
 */
export type Route = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
) => boolean | Promise<boolean>;

/** The file under `root` that `path` names, if any (directories: index.html). */
export function fileFor(root: string, path: string): string | undefined {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(path));
  } catch {
    return undefined;
  }
  if (rel.split("/").includes("..")) return undefined;
  let file = join(root, rel);
  if (existsSync(file) && statSync(file).isDirectory()) {
    file = join(file, "index.html");
  }
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

/** Serves `root` on 127.0.0.1:`port` (0: any free port). */
export async function serve(
  root: string,
  port = 0,
  route?: Route,
  onRequest?: (path: string, status: number) => void,
): Promise<SiteServer> {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (route && await route(req, res, path)) return;
    const file = fileFor(root, path);
    if (file === undefined) {
      onRequest?.(path, 404);
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("404 Not Found");
      return;
    }
    onRequest?.(path, 200);
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "text/plain; charset=utf-8",
      "cache-control": "no-store",
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
