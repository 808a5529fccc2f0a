/**
 * The published types need no `@types/node` (issue 13): a strict TypeScript
 * project with `"types": []` and `"lib": ["ES2022", "DOM"]`, as a browser
 * app has, type-checks a program that uses every entry point of the npm
 * builds (packages/<p>/npm, copied into a temporary node_modules), with
 * `skipLibCheck` off so that every `.d.ts` file is checked. Runs on the Node
 * leg of `npm test`, after the build.
 *
 * @module
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libraryPackages } from "./_lib.ts";
import { checkConsumer } from "./_consumer_tsconfig.ts";

/** Uses every entry point, and the names most likely to drag in node types. */
const CONSUMER = `
import { Deferred, DeferredList, Failure, succeed } from "@twixt/defer";
import { assertNoResult, successResultOf } from "@twixt/defer/testing";
import {
  ConnectError,
  Factory,
  LineReceiver,
  listenTCP,
  Protocol,
  Reactor,
  reactor,
  TCP4ClientEndpoint,
  TCPTransport,
} from "@twixt/reactor";
import { Clock, deferLater, LoopingCall, react } from "@twixt/reactor/task";
import { MemoryReactor } from "@twixt/reactor/testing";
import { Agent, downloadPage, getPage, getPageBytes, HTTPError, readBody } from "@twixt/web-client";

const d: Deferred<number> = succeed(1);
assertNoResult(new Deferred<void>());
const n: number = successResultOf(d);
const list: Deferred<Array<[boolean, number | Failure]>> = DeferredList([d]);
const clock = new Clock();
const loop = new LoopingCall(() => {});
loop.clock = clock;
const later: Deferred<string> = deferLater(clock, 1, () => "x");
const code: Promise<number> = react(() => undefined, [], new Reactor());
class Lines extends LineReceiver {
  override lineReceived(line: string): void {
    this.sendLine(line);
  }
}
const port = listenTCP(reactor, 0, Factory.forProtocol(Lines));
const memory = new MemoryReactor();
const memoryPort = memory.listenTCP(0, Factory.forProtocol(Lines));
const endpoint = new TCP4ClientEndpoint(reactor, "127.0.0.1", 80);
const connected: Deferred<Protocol> = endpoint.connect(Factory.forProtocol(Protocol));
const transportType: typeof TCPTransport = TCPTransport;
const text: Deferred<string> = getPage("/data.json");
const bytes: Deferred<Uint8Array> = getPageBytes("/data.bin");
const saved: Deferred<void> = downloadPage("http://127.0.0.1/", "out");
const agent = new Agent(reactor);
const body: Deferred<Uint8Array> = agent.request("GET", "http://127.0.0.1/")
  .addCallback((response) => readBody(response));
const errors: Array<typeof HTTPError | typeof ConnectError> = [HTTPError, ConnectError];
export { body, bytes, code, connected, errors, later, list, memoryPort, n, port, saved, text, transportType };
`;

let tmp = "";
const built = libraryPackages().filter((p) => existsSync(join(p.path, "npm")));

before(() => {
  tmp = mkdtempSync(join(tmpdir(), "twixt-types-"));
  mkdirSync(join(tmp, "node_modules", "@twixt"), { recursive: true });
  for (const p of built) {
    // Copied, not linked: a link would resolve @twixt/* imports inside
    // the builds through the workspace, to the sources.
    cpSync(
      join(p.path, "npm"),
      join(tmp, "node_modules", p.deno["name"] as string),
      { recursive: true },
    );
  }
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe("the published types", () => {
  it("type-check in a project without @types/node (types: [], lib ES2022 + DOM)", async (t) => {
    if (built.length < 3) return t.skip("the library packages are not built");
    writeFileSync(join(tmp, "package.json"), '{ "type": "module" }\n');
    const r = await checkConsumer(tmp, CONSUMER, { types: [] });
    assert.equal(r.code, 0, `tsc found errors:\n${r.output}`);
  });
});
