// Worker suites run inside workerd through @cloudflare/vitest-pool-workers, against its real
// D1, R2, Durable Objects and Queues (no mocks). Migrations are applied in test/worker/setup.ts.
import { availableParallelism } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        // wrangler.toml's [ai] binding would open a remote session (a login, billed calls): tests fake Workers AI.
        remoteBindings: false,
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Tests compress simulated time hard so magic numbers finish in milliseconds.
            TIME_COMPRESSION: "2000",
            // Tests run as a deployment would: none of the local-only relaxations.
            ENVIRONMENT: "production",
            CLOUDFLARE_CF_FETCH_ENABLED: "false",
            SIGNING_SECRET: "test-signing-secret-0123456789abcdef",
            GATEWAY_SECRET: "test-gateway-secret-0123456789abcdef",
            // base64 of 32 bytes: the AES-GCM key that encrypts webhook secrets at rest.
            WEBHOOK_ENCRYPTION_KEY: "ZWRnZWZheC10ZXN0LXdlYmhvb2sta2V5LTMyYnl0ZXM=",
            // billing: the operator's grants and Stripe's webhooks (Stripe itself is never reached: tests intercept fetch).
            BILLING_ADMIN_SECRET: "test-billing-admin-secret-0123456789",
            STRIPE_WEBHOOK_SECRET: "whsec_test_0123456789abcdef0123456789abcdef",
            // base64 of 32 bytes: the Ed25519 seed that signs the audit log's checkpoints.
            AUDIT_SIGNING_KEY: "ZWRnZWZheC10ZXN0LWF1ZGl0LXNpZ25pbmcta2V5MzI=",
            // base64 of 32 bytes: the key-encryption key of documents in R2 (first of the list: current).
            DOCUMENT_ENCRYPTION_KEY: "ZWRnZWZheC10ZXN0LWRvY3VtZW50LWtleS0zMmJ5dGU=",
            // Webhook retries without waiting (same length as production: max_retries + 1 entries).
            WEBHOOK_RETRY_SCHEDULE: "0,0,0,0,0,0,0,0,0,0,0",
            // Event streams: a heartbeat every second, so tests see one without waiting 15 s.
            STREAM_HEARTBEAT_SECONDS: "1",
          },
        },
      }),
    ],
    test: {
      include: ["test/worker/**/*.test.ts"],
      setupFiles: ["./test/worker/setup.ts"],
      testTimeout: 30_000,
      // Each test file starts its own workerd and loads the Worker's module graph (about 5 s), and most tests then
      // wait on alarms, queues and timers rather than compute, so two files at a time on a 2-core machine overlap
      // one's set-up with the other's waiting (vitest's default there is one file at a time). Measured on the whole
      // suite under load: 1,127 s wall for 2,038 s of set-up + tests.
      maxWorkers: Math.max(2, availableParallelism() - 1),
    },
  };
});
