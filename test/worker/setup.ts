// Applies the D1 migrations (read from migrations/ by vitest.config.ts) before each test file.
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
