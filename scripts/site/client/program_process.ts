/**
 * `node:process` for the tutorial's programs in the page: no arguments,
 * so each asks `localSite` (program_site.ts) for its page.
 *
 * @module
 */
const process = { argv: ["browser", "program"], env: {} };
export default process;
