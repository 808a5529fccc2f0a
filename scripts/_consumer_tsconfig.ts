/**
 * The consumer project both type tests check (scripts/types_test.ts and
 * scripts/pack_test.ts): a strict TypeScript project, as an app that
 * installs the packages has, type-checking one file against the installed
 * `.d.ts` files with `skipLibCheck` off. The tests differ only in which
 * ambient types the project has.
 *
 * @module
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { mustTool, run, type RunResult } from "./_lib.ts";

/** The ambient types of a consumer project (its `types` and `typeRoots`). */
export interface ConsumerTypes {
  /** `compilerOptions.types`: `[]` for a browser app, `["node"]` for Node. */
  types: string[];
  /** `compilerOptions.typeRoots`, where those types are found. */
  typeRoots?: string[];
}

/**
 * Writes `source` as `consumer.ts` and a strict `tsconfig.json` (ES2022 with
 * the DOM library, NodeNext modules, no emit, `skipLibCheck` off) into the
 * project folder `dir`, whose node_modules holds the packages, and runs the
 * workspace's tsc there.
 */
export function checkConsumer(
  dir: string,
  source: string,
  { types, typeRoots }: ConsumerTypes,
): Promise<RunResult> {
  writeFileSync(join(dir, "consumer.ts"), source);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        lib: ["ES2022", "DOM"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types,
        ...(typeRoots ? { typeRoots } : {}),
      },
      files: ["consumer.ts"],
    }),
  );
  return run(mustTool("tsc"), ["-p", ".", "--pretty", "false"], {
    cwd: dir,
    stream: false,
  });
}
