// @ts-check
/**
 * The one launcher of a private `npm start` instance (scripts/start.mjs: workerd with local D1, R2, Durable
 * Objects, Queues, cron, and the gateway), isolated from a developer's own run by its state directory and
 * port. The local tests (test/local/), the interop e2e test and the benchmarks (bench/) all start it here.
 *
 *   const stateDir = await makeStateDir();
 *   const platform = await startLocalPlatform({ stateDir });          // waits for GET /health
 *   const key = await createKey(stateDir);                            // "fx_test_…"
 *   await fetch(`${platform.url}/v1/faxes`, { headers: { authorization: `Bearer ${key}` }, … });
 *   await platform.restart();                                         // same state, same port
 *   await platform.stop();                                            // safe to call twice
 *   await removeStateDir(stateDir);
 *
 * `vars` overrides Worker vars for the run (through EDGEFAX_VARS), e.g. { TIME_COMPRESSION: "300" }.
 * Starting takes 3-6 s (migrations, the bundle, then workerd); give it a generous timeout (2 min on a loaded machine).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { root } from "./local-env.mjs";

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;

/**
 * @typedef {object} LocalPlatformOptions
 * @property {string} stateDir  Where D1, R2 and Durable Object state persist (EDGEFAX_STATE_DIR).
 * @property {number} [port]  Port on 127.0.0.1; a free one is picked when left out.
 * @property {Record<string, string>} [vars]  Worker vars for this run, overriding wrangler.toml.
 */

/**
 * @typedef {object} LocalPlatform
 * @property {string} url  http://127.0.0.1:PORT
 * @property {number} port
 * @property {string} stateDir
 * @property {() => string} output  Everything `npm start` printed so far (stdout and stderr), across restarts.
 * @property {() => Promise<void>} stop  Stops the platform (SIGTERM, as Ctrl-C would) and waits until its port is free. Safe to call twice.
 * @property {() => Promise<void>} restart  stop(), then start again on the same port with the same state directory.
 */

/**
 * A port on 127.0.0.1 that nothing listens on right now (the OS picks it).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Whether nothing listens on 127.0.0.1:port.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A fresh, empty state directory under the OS temp dir.
 * @param {string} [label]
 * @returns {Promise<string>}
 */
export function makeStateDir(label = "state") {
  return mkdtemp(path.join(tmpdir(), `edgefax-${label}-`));
}

/** @param {string} stateDir */
export async function removeStateDir(stateDir) {
  await rm(stateDir, { recursive: true, force: true });
}

/**
 * Starts `node scripts/start.mjs` and resolves once GET /health answers 200.
 * @param {LocalPlatformOptions} options
 * @returns {Promise<LocalPlatform>}
 */
export async function startLocalPlatform(options) {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  let log = "";
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;

  const launch = async () => {
    /** @type {NodeJS.ProcessEnv} */
    const env = { ...cleanEnv(), EDGEFAX_STATE_DIR: options.stateDir, PORT: String(port) };
    if (options.vars) env.EDGEFAX_VARS = JSON.stringify(options.vars);
    else delete env.EDGEFAX_VARS;
    const proc = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    /** @param {Buffer} chunk */
    const append = (chunk) => {
      log += chunk.toString("utf8");
      if (process.env.EDGEFAX_TEST_VERBOSE) process.stderr.write(chunk);
    };
    proc.stdout.on("data", append);
    proc.stderr.on("data", append);
    /** @type {Promise<never>} */
    const exited = new Promise((_, reject) =>
      proc.once("exit", (code, signal) => reject(new Error(`npm start exited (${signal ?? code}) before it was ready:\n${log}`))),
    );
    exited.catch(() => {}); // only a rejection while we wait matters
    const deadline = Date.now() + START_TIMEOUT_MS;
    const ready = (async () => {
      while (Date.now() < deadline) {
        // start.mjs prints its banner only after its own /health check, so wait for both.
        if (log.includes("edgefax is running on") && (await healthy(url))) return;
        await sleep(100);
      }
      throw new Error(`npm start did not become ready within ${START_TIMEOUT_MS / 1000} s:\n${log}`);
    })();
    try {
      await Promise.race([ready, exited]);
    } catch (error) {
      await stopChild(proc);
      throw error;
    }
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (proc) await stopChild(proc);
    // No orphan: once start.mjs is gone nothing may still listen on the port (a leftover workerd would).
    const deadline = Date.now() + 5_000;
    while (!(await portIsFree(port))) {
      if (Date.now() > deadline) throw new Error(`port ${port} is still in use after npm start stopped (orphaned workerd?)`);
      await sleep(100);
    }
  };

  await launch();
  return {
    url,
    port,
    stateDir: options.stateDir,
    output: () => log,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
  };
}

/**
 * Runs `npm run -s key:create` against the state directory and returns the key it printed.
 * @param {string} stateDir
 * @param {{ live?: boolean, rateLimit?: number, name?: string }} [options]
 * @returns {Promise<string>}
 */
export function createKey(stateDir, options = {}) {
  const args = [path.join(root, "scripts", "key-create.mjs")];
  if (options.live) args.push("--live");
  if (options.rateLimit !== undefined) args.push("--rate-limit", String(options.rateLimit));
  if (options.name !== undefined) args.push("--name", options.name);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: root, env: { ...cleanEnv(), EDGEFAX_STATE_DIR: stateDir }, timeout: 60_000, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`key:create failed: ${error.message}\n${stdout}${stderr}`));
        const lines = stdout.split("\n").filter((l) => l !== "");
        const [key] = lines;
        if (lines.length !== 1 || key === undefined) return reject(new Error(`key:create printed ${lines.length} lines, expected only the key:\n${stdout}`));
        resolve(key);
      },
    );
  });
}

/** @param {number} ms @returns {Promise<void>} */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- internals ----

/**
 * The environment a user's shell would give `npm start`: without the test runner's variables
 * (NODE_ENV=test would be compiled into the Worker bundle by wrangler; VITEST* are none of its business).
 * @returns {NodeJS.ProcessEnv}
 */
function cleanEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name === "NODE_ENV" || name.startsWith("VITEST") || name === "TEST") delete env[name];
  return env;
}

/** @param {string} url */
async function healthy(url) {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * SIGTERM (start.mjs then stops its services' process groups); SIGKILL if it takes too long.
 * @param {import("node:child_process").ChildProcess} proc
 */
async function stopChild(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  /** @type {Promise<void>} */
  const exited = new Promise((resolve) => proc.once("exit", () => resolve()));
  proc.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(STOP_TIMEOUT_MS).then(() => true)]);
  if (timedOut) {
    proc.kill("SIGKILL");
    await exited;
    throw new Error(`npm start did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM`);
  }
}
