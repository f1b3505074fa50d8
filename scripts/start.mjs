// `npm start`: the whole local platform, offline. Applies the local D1 migrations, then runs the
// Worker (local D1, R2, Durable Objects, Queues, cron) on http://127.0.0.1:8787 with state kept in
// .wrangler/state between runs.
import { spawn, spawnSync } from "node:child_process";
import { ensureDevVars, offlineEnv, persistDir, root, wranglerBin } from "./local-env.mjs";

const port = process.env.PORT ?? "8787";
ensureDevVars();

const migrate = spawnSync(wranglerBin, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir], {
  cwd: root,
  env: { ...offlineEnv, CI: "true" },
  encoding: "utf8",
});
if (migrate.status !== 0) {
  process.stderr.write(migrate.stdout + migrate.stderr);
  process.exit(migrate.status ?? 1);
}

const worker = spawn(
  wranglerBin,
  ["dev", "--local", "--ip", "127.0.0.1", "--port", port, "--persist-to", persistDir, "--show-interactive-dev-session=false"],
  { cwd: root, env: offlineEnv, stdio: ["ignore", "pipe", "inherit"] },
);

let announced = false;
worker.stdout.on("data", (chunk) => {
  process.stdout.write(chunk);
  if (!announced && String(chunk).includes("Ready on")) {
    announced = true;
    process.stdout.write(
      [
        "",
        `edgefax is running on http://127.0.0.1:${port}  (API reference: http://127.0.0.1:${port}/docs)`,
        "Get a test key:   npm run -s key:create",
        `Send a fax:       curl -s http://127.0.0.1:${port}/v1/faxes -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\`,
        `                    -d '{"to":"+15550100001","cover_page":{"subject":"Hello"}}'`,
        "",
      ].join("\n"),
    );
  }
});

const stop = (signal) => {
  worker.kill(signal);
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
worker.on("exit", (code) => process.exit(code ?? 0));
