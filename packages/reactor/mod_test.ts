import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as reactorModule from "./mod.ts";
import * as taskModule from "./task.ts";

describe("the package's entry points", () => {
  it("export no internal helper (a name starting with an underscore)", () => {
    for (const mod of [reactorModule, taskModule]) {
      assert.deepEqual(
        Object.keys(mod).filter((name) => name.startsWith("_")),
        [],
      );
    }
  });
});
