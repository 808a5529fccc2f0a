/**
 * `node:process` as test files see it in the browser run of
 * scripts/test_browser.ts: no signals, no listeners, no exit code. The
 * library never sees it (it reads `globalThis.process`, which a browser
 * lacks); tests that need a real process are skipped there by name.
 *
 * @module
 */
const process = {
  env: {} as Record<string, string | undefined>,
  exitCode: undefined as number | undefined,
  listenerCount: (_event: string): number => 0,
  emit: (_event: string): boolean => false,
  on: (): void => {},
  off: (): void => {},
};
export default process;
