/**
 * `downloadPage`: Twisted's fetch-to-a-file, streamed.
 *
 * @module
 */

import { CancelledError, type Deferred } from "@twixt/defer";
import { request } from "./_request.ts";
import { pageSpec } from "./get_page.ts";
import type { PageOptions } from "./options.ts";
import { builtin } from "./_node.ts";
import { FileSystemNotAvailable } from "./errors.ts";

type Fs = typeof import("node:fs/promises");
type Path = typeof import("node:path");

// Symlinks followed before giving up, as the kernel's ELOOP limit.
const MAX_LINKS = 40;

/**
 * The file a path names once symlinks are followed: the path itself when it
 * is not a link or does not exist, the end of the chain otherwise (which may
 * not exist yet: curl -o creates it).
 */
async function linkTarget(
  fs: Fs,
  dirname: Path["dirname"],
  resolve: Path["resolve"],
  file: string,
): Promise<string> {
  let path = file;
  for (let i = 0; i < MAX_LINKS; i++) {
    let link: string;
    try {
      if (!(await fs.lstat(path)).isSymbolicLink()) return path;
      link = await fs.readlink(path);
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return path;
      throw e;
    }
    path = resolve(dirname(path), link);
  }
  throw new Error(
    `Cannot download to ${file}: more than ${MAX_LINKS} symbolic links`,
  );
}

/**
 * Fetches `url` and writes its body to the file `file`, chunk by chunk as
 * it arrives (never holding the whole body), firing with `undefined` once
 * the file is complete.
 *
 * The body goes first to a temporary file beside `file` (named
 * `<file>.<random>.part`), which is renamed to `file` only after the last
 * byte: so `file` is never left half-written. On any failure (an HTTP error
 * status, a cut-off body, `maxBytes`, a timeout, cancellation, a write
 * error) the temporary file is closed and removed and `file` is untouched
 * (Twisted leaves a partial file in place; a partial file that looks whole
 * is worse than none). After a cancel or timeout the Deferred fails at once
 * and the removal follows a moment later.
 *
 * @param url As for `getPage`: `http:` or `https:`, or relative to the page.
 * @param file The path to write.
 * @param opts As for `getPage`.
 * @returns A Deferred that fires when the file is written. Cancelling it
 * aborts the request.
 * @throws Never; the Deferred fails as `getPage`'s does, or with the file
 * system's error, or with {@linkcode FileSystemNotAvailable} (before any
 * request) where the runtime has no files (a browser).
 *
 * @example Usage
 * ```ts
 * import { downloadPage } from "@twixt/web-client";
 * import { createServer } from "node:http";
 * import { mkdtemp, readFile, rm } from "node:fs/promises";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * import assert from "node:assert/strict";
 *
 * const server = createServer((_req, res) => res.end("saved"));
 * await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
 * const { port } = server.address() as { port: number };
 * const dir = await mkdtemp(join(tmpdir(), "twixt-"));
 *
 * await downloadPage(`http://127.0.0.1:${port}/`, join(dir, "page.txt"));
 * assert.equal(await readFile(join(dir, "page.txt"), "utf8"), "saved");
 * await rm(dir, { recursive: true });
 * server.close();
 * ```
 */
export function downloadPage(
  url: string,
  file: string,
  opts: PageOptions = {},
): Deferred<void> {
  return request(
    () => {
      if (typeof file !== "string" || file === "") {
        throw new TypeError(
          `Cannot download to ${JSON.stringify(file)}: not a file path`,
        );
      }
      // Checked before any I/O: a browser has no files to write.
      if (
        builtin<Fs>("node:fs/promises") === undefined ||
        builtin<Path>("node:path") === undefined
      ) {
        throw new FileSystemNotAvailable(file);
      }
      return pageSpec(url, opts, "downloadPage");
    },
    async (ex) => {
      const res = await ex.page();
      const fs = builtin<Fs>("node:fs/promises")!;
      const { dirname, resolve } = builtin<Path>("node:path")!;
      // As curl -o: through a symlink (or a chain of them) to its target,
      // keeping an existing file's mode; the part file sits beside the
      // target so that the rename stays within one file system.
      const dest = await linkTarget(fs, dirname, resolve, file);
      const mode = await fs.stat(dest).then(
        (st) => st.isFile() ? st.mode & 0o7777 : undefined,
        () => undefined,
      );
      const part = `${dest}.${Math.random().toString(36).slice(2, 10)}.part`;
      const handle = await fs.open(part, "wx", mode ?? 0o666);
      let closed = false;
      try {
        // open's mode is cut by the umask: set the old one exactly.
        if (mode !== undefined) await handle.chmod(mode);
        await ex.stream(res, async (chunk) => {
          for (let at = 0; at < chunk.byteLength;) {
            at += (await handle.write(chunk, at)).bytesWritten;
          }
        });
        closed = true;
        await handle.close();
        // Cancelled while closing: the caller has been told it failed.
        if (ex.aborted) {
          throw ex.reason ?? new CancelledError("Request was cancelled");
        }
        await fs.rename(part, dest);
      } catch (e) {
        if (!closed) await handle.close().catch(() => {});
        await fs.rm(part, { force: true }).catch(() => {});
        throw e;
      }
    },
  );
}
