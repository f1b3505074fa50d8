// `npm run test:interop [-- --full] [-- filter]`: our code against real peers from Debian.
// Needs: sip-tester libspandsp-dev tshark libtiff-tools netpbm ghostscript poppler-utils (see README).
// `--full` runs the whole real-time T.38 matrix (INTEROP_FULL=1); without it, a pairwise-covering subset.
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const full = args.includes("--full");
const rest = args.filter((a) => a !== "--full");
const result = spawnSync(process.execPath, ["scripts/run-vitest.mjs", "vitest.interop.config.ts", "--", ...rest], {
  stdio: "inherit",
  env: { ...process.env, INTEROP_FULL: full ? "1" : "" },
});
process.exit(result.status ?? 1);
