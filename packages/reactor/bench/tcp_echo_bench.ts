/**
 * Echo throughput: 8 MB sent through an echo server and read back, over
 * 127.0.0.1, with Twixt's TCP (Protocol, listenTCP, connectTCP) on both
 * ends against raw `node:net` on both ends. Each iteration listens,
 * connects, echoes, and closes, the same for both.
 *
 * `compare/tcp_echo.ts` measures the same two, interleaved, on any runtime.
 *
 * Run: `npx deno bench -A packages/reactor/bench/tcp_echo_bench.ts`
 *
 * @module
 */
import { rawEcho, twixtEcho } from "./_tcp_echo.ts";

// Whichever runs first pays for warming up node:net and the kernel's TCP
// buffers for both; a warm-up group takes that cost off the comparison.
Deno.bench({
  name: "warm-up: raw",
  group: "warm-up",
  fn: rawEcho,
  n: 20,
  warmup: 5,
});
Deno.bench({
  name: "warm-up: Twixt",
  group: "warm-up",
  fn: twixtEcho,
  n: 20,
  warmup: 5,
});

Deno.bench({
  name: "raw node:net echo, 8 MB",
  group: "tcp echo",
  baseline: true,
  n: 50,
  warmup: 5,
  fn: rawEcho,
});
Deno.bench({
  name: "Twixt Protocol echo, 8 MB",
  group: "tcp echo",
  n: 50,
  warmup: 5,
  fn: twixtEcho,
});
