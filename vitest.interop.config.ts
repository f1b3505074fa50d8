// Interop suites: our code against real peers from Debian (libtiff, netpbm, ghostscript, poppler,
// SIPp, spandsp). `npm run test:interop` runs the CI subset; `-- --full` sets INTEROP_FULL=1 for the whole matrix.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/interop/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
