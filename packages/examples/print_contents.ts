/**
 * The tutorial's first program: getPage returns a Deferred at once, and the
 * callback added to it prints the page when the page arrives.
 *
 * Usage: `deno run -A packages/examples/print_contents.ts [url]`; with no
 * URL, the page comes from a small site this program serves itself.
 *
 * @module
 */
import process from "node:process";
import { reactor } from "@twixt/reactor";
import { getPage } from "@twixt/web-client";
import { localSite } from "./site.ts";

/**
 * This is the 'callback' function, added to the Deferred and called by it
 * when the promised data is available.
 */
function printContents(contents: string): void {
  console.log(
    "The Deferred has called printContents with the following contents:",
  );
  console.log(contents);

  // Stop the reactor -- this is usually handled in higher level ways.
  reactor.stop();
}

// No URL given: serve the pages ourselves; the site closes with the reactor.
const url = process.argv[2] ?? await localSite(reactor);

// Call getPage, which returns immediately with a Deferred, promising to pass
// the page contents on to our callbacks when the contents are available.
const deferred = getPage(url);

// Add a callback to the Deferred -- request that it run printContents when
// the page content has been downloaded.
deferred.addCallback(printContents);

// Begin the reactor's event handling to manage the process -- again, this
// isn't the usual way to do this.
reactor.run();
