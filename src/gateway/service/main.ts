/**
 * `npm run gateway:serve -- [flags]` (tsx src/gateway/service/main.ts): the origin gateway as a service.
 * Flags and environment: see ./config.ts. SIGTERM or SIGINT stops it gracefully (./service.ts `stop`);
 * a second signal exits at once.
 */
import "../../codec/node.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "../../lib/log.js";
import { startGatewayService } from "./service.js";

let config;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`gateway: ${err.message}\n`);
  process.exit(2);
}
const log = createLogger({ level: config.logLevel });
let service;
try {
  service = await startGatewayService(config, { log });
} catch (err) {
  log.error("could not start", { error: (err as Error).message });
  process.exit(1);
}
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  if (++signals > 1) {
    log.warn("second signal: exiting now", { signal });
    process.exit(1);
  }
  log.info("signal received", { signal });
  void service.stop().then(() => process.exit(0));
};
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);
// Under `npm start` (scripts/start.mjs sets EDGEFAX_SUPERVISOR_PID): stop as on SIGTERM once start.mjs
// is gone, even if it was killed outright. Run on its own, the gateway outlives whoever started it.
const supervisor = Number(process.env.EDGEFAX_SUPERVISOR_PID);
if (supervisor) {
  setInterval(() => {
    if (process.ppid !== supervisor && signals === 0) onSignal("SIGTERM");
  }, 1_000).unref();
}
