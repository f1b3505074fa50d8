// @ts-check
// `npm start`: the whole local platform, offline. Applies the local D1 migrations, then runs every
// local service (the Worker: local D1, R2, Durable Objects, Queues, cron; the origin gateway with its
// loopback carrier, on GATEWAY_PORT or a free port) with its output prefixed by its name. State persists between runs in .wrangler/state (or EDGEFAX_STATE_DIR); the
// Worker listens on http://127.0.0.1:8787 (or PORT). EDGEFAX_VARS, a JSON object of strings, overrides
// Worker vars for this run (tests use it, e.g. {"TIME_COMPRESSION":"300"}).
//
// The Worker runs as it would be deployed: scripts/local-worker.mjs builds the production bundle and
// runs it in workerd through Miniflare. `npm run dev` (this script with --watch) runs `wrangler dev`
// instead, which rebuilds and reloads the Worker on every source change.
//
// Ctrl-C or SIGTERM stops every service: each runs in its own process group, which gets SIGTERM and,
// if anything in it is still alive after a grace period, SIGKILL, so no workerd is left behind.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { cronMatches, readCrons } from "./local-cron.mjs";
import { freePort, portIsFree, sleep } from "./local-platform.mjs";
import { applyMigrations, ensureDevVars, offlineEnv, persistDir, root, wranglerBin, workerPort } from "./local-env.mjs";
import { outboxDir } from "./local-outbox.mjs";

/** @type {number} */
let port;
try {
  port = workerPort();
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;

/** EDGEFAX_VARS → `--var NAME:VALUE` (wrangler splits at the first colon, so values may contain colons). */
function varArgs() {
  const raw = process.env.EDGEFAX_VARS;
  if (!raw) return [];
  let vars;
  try {
    vars = JSON.parse(raw);
  } catch {
    vars = null;
  }
  const valid =
    vars !== null &&
    typeof vars === "object" &&
    !Array.isArray(vars) &&
    Object.entries(vars).every(([k, v]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && typeof v === "string");
  if (!valid) {
    console.error('EDGEFAX_VARS must be a JSON object of string values, e.g. {"TIME_COMPRESSION":"300"}.');
    process.exit(2);
  }
  return Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
}
const STOP_GRACE_MS = 5_000;

/** The origin gateway's POST /jobs port: GATEWAY_PORT, or one the OS picks now (SIP binds its own free port). */
const gatewayPort = process.env.GATEWAY_PORT ? Number(process.env.GATEWAY_PORT) : await freePort();
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const READY_TIMEOUT_MS = 120_000;
/** The offline OCR service (src/inbound/local-engine): OCR_PORT, or one the OS picks now. */
const ocrPort = process.env.OCR_PORT ? Number(process.env.OCR_PORT) : await freePort();
const ocrUrl = `http://127.0.0.1:${ocrPort}`;

const watch = process.argv.includes("--watch");
// Live faxes go to the local gateway; the signed TIFF-F links it fetches must name this port.
const workerVarArgs = ["--var", `GATEWAY_URL:${gatewayUrl}`, "--var", `PUBLIC_URL:${origin}`, "--var", `OCR_URL:${ocrUrl}`, ...varArgs()];

/** The Worker: the deployable bundle behind scripts/local-worker.mjs, or under `wrangler dev` with --watch. */
const worker = watch
  ? {
      command: wranglerBin,
      args: [
        "dev",
        "--local",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--persist-to",
        persistDir,
        "--show-interactive-dev-session=false",
        // wrangler dev never fires cron triggers itself, and with [assets] its /cdn-cgi/handler/scheduled
        // answers "exception"; /__scheduled (enabled by this flag) reaches the Worker. See startCron().
        "--test-scheduled",
        ...workerVarArgs,
      ],
    }
  : {
      command: process.execPath,
      // local-worker.mjs answers /__scheduled itself, with the Worker's scheduled() handler.
      args: ["scripts/local-worker.mjs", "--port", String(port), "--persist-to", persistDir, ...workerVarArgs],
    };

/**
 * The local services, started in this order. A later service (the origin gateway, the offline OCR
 * process) is one more entry here: `command` and `args` to spawn in the repository root, `env`, and
 * `ready()`, which resolves once the service answers.
 * @typedef {{ name: string, command: string, args: string[], env: NodeJS.ProcessEnv, ready: () => Promise<void> }} Service
 * @type {Service[]}
 */
const services = [
  { name: "worker", ...worker, env: offlineEnv, ready: () => waitForHttp(`${origin}/health`) },
  {
    // The origin gateway (src/gateway/service) in loopback mode: its trunk is its own SIP listener on
    // 127.0.0.1, so a live fax to a number provisioned here goes out over SIP/T.38 and comes back in.
    name: "gateway",
    command: process.execPath,
    args: ["--import", "tsx", "src/gateway/service/main.ts"],
    // A getter: .dev.vars (GATEWAY_SECRET) is written by ensureDevVars() before the services start.
    get env() {
      return {
        ...offlineEnv,
        EDGE_URL: origin,
        GATEWAY_SECRET: ensureDevVars().GATEWAY_SECRET,
        GATEWAY_HTTP: `127.0.0.1:${gatewayPort}`,
        GATEWAY_SIP: process.env.GATEWAY_SIP ?? "127.0.0.1:0",
        GATEWAY_TRUNK: process.env.GATEWAY_TRUNK ?? "loopback",
        GATEWAY_SPOOL_DIR: `${persistDir}/gateway-spool`,
        // Within STOP_GRACE_MS: calls still running are handed back (gateway.lost, retried) before the SIGKILL.
        GATEWAY_SHUTDOWN_GRACE_SECONDS: "3",
      };
    },
    ready: () => waitForHttp(`${gatewayUrl}/health`),
  },
  {
    // Received faxes read themselves (issue 14): the offline OCR engine, which the Worker reaches signed (OCR_URL).
    name: "ocr",
    command: process.execPath,
    args: ["--import", "tsx", "src/inbound/local-engine/main.ts"],
    get env() {
      return { ...offlineEnv, OCR_SECRET: ensureDevVars().OCR_SECRET, OCR_HTTP: `127.0.0.1:${ocrPort}` };
    },
    ready: () => waitForHttp(`${ocrUrl}/health`),
  },
];

// ---- output ----

const width = Math.max(...services.map((s) => s.name.length));
/**
 * @param {import("node:stream").Readable} stream
 * @param {string} name
 * @param {NodeJS.WriteStream} out
 */
function prefixLines(stream, name, out) {
  const tag = `[${name.padEnd(width)}] `;
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => out.write(tag + line + "\n"));
}

// ---- lifecycle ----

/** @typedef {{ child: import("node:child_process").ChildProcess, exited: Promise<void> }} Running */
/** @type {Map<string, Running>} */
const running = new Map();
let stopping = false;
/** @type {NodeJS.Timeout | null} */
let cronTimer = null; // see startCron()

/** @param {number} pid */
function processGroupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** @param {Service} service */
function launch(service) {
  const child = spawn(service.command, service.args, {
    cwd: root,
    // Our own services (local-worker.mjs, the gateway) stop when this process is gone, even if it was
    // killed outright (SIGKILL), so nothing is left holding the ports.
    env: { ...service.env, EDGEFAX_SUPERVISOR_PID: String(process.pid) },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C reaches only us, and stopping the group reaches every descendant (workerd).
    detached: true,
  });
  prefixLines(child.stdout, service.name, process.stdout);
  prefixLines(child.stderr, service.name, process.stderr);
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => {
    child.on("error", (error) => {
      process.stderr.write(`[${service.name}] could not start: ${error.message}\n`);
      resolve();
    });
    child.on("exit", (code, signal) => {
      if (!stopping) {
        process.stderr.write(`[${service.name}] exited unexpectedly (${signal ?? `status ${code}`}); stopping everything.\n`);
        void shutdown(1);
      }
      resolve();
    });
  });
  running.set(service.name, { child, exited });
  return child;
}

/**
 * @param {string} name
 * @param {Running} entry
 */
async function stopService(name, { child, exited }) {
  if (!child.pid) return;
  signalGroup(child.pid, "SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  // The leader may be gone while a grandchild (workerd) still shuts down: wait for the whole group.
  while (processGroupAlive(child.pid) && Date.now() < deadline) await sleep(100);
  if (processGroupAlive(child.pid)) {
    process.stderr.write(`[${name}] did not stop within ${STOP_GRACE_MS / 1000} s; killing it.\n`);
    signalGroup(child.pid, "SIGKILL");
  }
}

/** @param {number} code */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (cronTimer) clearTimeout(cronTimer);
  if (running.size > 0) console.log("edgefax: stopping");
  // Reverse order: later services depend on earlier ones.
  for (const [name, entry] of [...running].reverse()) await stopService(name, entry);
  process.exit(code);
}

// If we exit any other way (an uncaught error), take the services with us.
process.on("exit", () => {
  for (const { child } of running.values()) if (child.pid && processGroupAlive(child.pid)) signalGroup(child.pid, "SIGKILL");
});
// Stopping `npm start` with `kill <npm's pid>` kills only npm's `sh -c` child and leaves us orphaned:
// under npm, losing our parent means we were asked to stop.
if (process.env.npm_lifecycle_event) {
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(143);
  }, 1_000).unref();
}
process.on("SIGINT", () => void shutdown(130));
process.on("SIGTERM", () => void shutdown(143));
process.on("SIGHUP", () => void shutdown(129));

// ---- cron ----

/** wrangler.toml's [triggers] crons (scripts/local-cron.mjs). Local dev does not fire them, so we do, at each matching minute's start. */
const CRONS = readCrons();
function startCron() {
  const tick = async () => {
    if (stopping) return;
    const minute = new Date();
    for (const cron of CRONS.filter((c) => cronMatches(c, minute))) {
      try {
        const response = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent(cron)}`, { signal: AbortSignal.timeout(30_000) });
        if (!response.ok) process.stderr.write(`[cron] the scheduled handler answered ${response.status}\n`);
      } catch (error) {
        if (!stopping) process.stderr.write(`[cron] could not run the scheduled handler: ${error instanceof Error ? error.message : error}\n`);
      }
    }
    schedule();
  };
  const schedule = () => {
    if (stopping) return;
    cronTimer = setTimeout(tick, 60_000 - (Date.now() % 60_000));
  };
  schedule();
}

// ---- helpers ----

/** @param {string} url */
async function waitForHttp(url) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(150);
  }
  throw new Error(`${url} did not answer within ${READY_TIMEOUT_MS / 1000} s`);
}

// ---- main ----

if (!(await portIsFree(port))) {
  console.error(`Port ${port} on 127.0.0.1 is in use (another \`npm start\`?). Stop it, or pick another port: PORT=8788 npm start`);
  process.exit(1);
}

ensureDevVars();
console.log(`edgefax: applying the local D1 migrations (state in ${persistDir})`);
const migrated = applyMigrations();
if (!migrated.ok) {
  console.error(migrated.message);
  process.exit(1);
}

for (const service of services) {
  launch(service);
  try {
    await service.ready();
  } catch (error) {
    if (stopping) break;
    console.error(`[${service.name}] is not ready: ${error instanceof Error ? error.message : error}`);
    await shutdown(1);
  }
}

if (!stopping) {
  startCron();
  console.log(
    [
      "",
      `edgefax is running on ${origin}  (API reference: ${origin}/docs)`,
      `The origin gateway takes jobs on ${gatewayUrl} (loopback carrier: a live fax to a number provisioned here comes back in as a received fax).`,
      `Received pages are read offline by the OCR service on ${ocrUrl} (tesseract.js; OCR_PROVIDER=local).`,
      `State is kept in ${persistDir} between runs. Cron (${CRONS.join(", ") || "none"}, from wrangler.toml) runs here too. Stop with Ctrl-C.`,
      "",
      `Get a test key:   KEY=$(${process.env.EDGEFAX_STATE_DIR ? `EDGEFAX_STATE_DIR=${persistDir} ` : ""}npm run -s key:create)`,
      `Send a fax:       curl -s ${origin}/v1/faxes -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \\`,
      `                    -d '{"to":"+15550100001","cover_page":{"subject":"Hello"}}'`,
      `Follow it:        curl -s ${origin}/v1/faxes/FAX_ID -H "Authorization: Bearer $KEY"`,
      "",
      `Partner portal:   ${origin}/portal/signup  (sign-up and sign-in links are emailed; here they go to the outbox)`,
      `Mail outbox:      ${outboxDir(persistDir)}  (the newest: ${process.env.EDGEFAX_STATE_DIR ? `EDGEFAX_STATE_DIR=${persistDir} ` : ""}npm run -s mail:last)`,
      "",
    ].join("\n"),
  );
}
