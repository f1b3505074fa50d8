// Node-side suites: the codec (also loaded by the gateway) and the gateway's SIP/T.38/T.30 stack.
// Worker code is tested in workerd by vitest.config.ts instead.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/install/**/*.test.ts", "test/codec/**/*.test.ts", "test/gateway/**/*.test.ts", "test/render/**/*.test.ts", "test/source/**/*.test.ts", "test/sdk/**/*.test.ts", "test/inbound/**/*.test.ts", "test/audit/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
