// The local-platform suites: real `npm start` instances (test/local/server.ts), one file at a time,
// because each starts workerd and three at once on a 2-core machine only makes all of them slow.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/local/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 150_000,
    pool: "forks",
    fileParallelism: false,
  },
});
