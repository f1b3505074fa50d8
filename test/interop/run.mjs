// `npm run test:interop [-- --full] [-- filter]`: runs the interop suites against Debian's peers.
// Needs: sip-tester libspandsp-dev tshark libtiff-tools netpbm ghostscript poppler-utils (see README).
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const full = args.includes("--full");
const rest = args.filter((a) => a !== "--full");
const result = spawnSync(
  process.execPath,
  ["node_modules/vitest/vitest.mjs", "run", "--config", "vitest.interop.config.ts", ...rest],
  { stdio: "inherit", env: { ...process.env, INTEROP_FULL: full ? "1" : "" } },
);
process.exit(result.status ?? 1);
