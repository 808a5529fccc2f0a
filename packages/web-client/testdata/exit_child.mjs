// A program that meets hostile servers and then ends without calling
// exit: hostile_test.ts runs it and checks that it exits on its own, so
// no socket, timer or stream of the web client keeps a process alive.
import { createServer } from "node:net";
import { Agent, getPage, readBody } from "@twixt/web-client";

const sockets = new Set();
const server = createServer((socket) => {
  sockets.add(socket);
  socket.on("error", () => {});
  socket.on("close", () => sockets.delete(socket));
  socket.once("data", (data) => {
    const path = /^\S+ (\S+)/.exec(data.toString("latin1"))?.[1];
    if (path === "/stall-head") return;
    if (path === "/not-http") return void socket.end("SSH-2.0-x\r\n");
    // Anything else: a head and a body that never ends.
    socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial");
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const outcome = (d) => d.then(() => "ok", (e) => e?.name ?? String(e));

const results = await Promise.all([
  outcome(getPage(`${base}/stall-head`, { timeout: 0.2 })),
  outcome(getPage(`${base}/stall-body`, { timeout: 0.2 })),
  outcome(getPage(`${base}/not-http`)),
  outcome(
    new Agent(undefined, { timeout: 0.2 }).request("GET", `${base}/a`)
      .addCallback(readBody),
  ),
  // An Agent's body never read: let go at the deadline.
  outcome(new Agent(undefined, { timeout: 0.2 }).request("GET", `${base}/b`)),
  (() => {
    const d = getPage(`${base}/stall-head`);
    setTimeout(() => d.cancel(), 50);
    return outcome(d);
  })(),
  outcome(getPage(`${base}/x`, { timeout: "5" })),
]);
server.close();
console.log(JSON.stringify(results));
// No exit() here: the process must end by itself.
