// A private `npm start` instance for a benchmark: a fresh temporary state directory and a free port,
// a key with a rate limit no benchmark reaches, and a clean stop (also on Ctrl-C) that removes the state.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the instance and waits until it is ready.
 * @param {{ name: string, onCleanup?: () => void }} options  `name` labels the state dir and the key's account.
 */
export async function startBenchInstance({ name, onCleanup }) {
  const stateDir = mkdtempSync(path.join(tmpdir(), `edgefax-${name}-`));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  let log = "";
  const server = spawn(process.execPath, [path.join(root, "scripts", "start.mjs")], {
    cwd: root,
    env: { ...process.env, EDGEFAX_STATE_DIR: stateDir, PORT: String(port), EDGEFAX_VARS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout.on("data", (c) => (log += c));
  server.stderr.on("data", (c) => (log += c));
  const serverExited = new Promise((resolve) => server.once("exit", resolve));

  let cleaned = false;
  async function cleanup() {
    if (cleaned) return;
    cleaned = true;
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGTERM");
      const stopped = await Promise.race([serverExited.then(() => true), sleep(20_000).then(() => false)]);
      if (!stopped) server.kill("SIGKILL");
    }
    onCleanup?.();
    rmSync(stateDir, { recursive: true, force: true });
  }
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.on("SIGTERM", () => void cleanup().then(() => process.exit(143)));

  async function fail(message) {
    console.error(message);
    await cleanup();
    process.exit(1);
  }

  function createKey() {
    return new Promise((resolve, reject) =>
      execFile(
        process.execPath,
        [path.join(root, "scripts", "key-create.mjs"), "--rate-limit", "100000000", "--name", `Benchmark ${name}`],
        { cwd: root, env: { ...process.env, EDGEFAX_STATE_DIR: stateDir }, encoding: "utf8", timeout: 60_000 },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim())),
      ),
    );
  }

  console.error(`bench:${name}  starting a local instance on ${origin} (state ${stateDir}) ...`);
  const deadline = Date.now() + 120_000;
  while (!log.includes("edgefax is running on")) {
    if (server.exitCode !== null) await fail(`npm start exited early:\n${log}`);
    if (Date.now() > deadline) await fail(`npm start was not ready within 120 s:\n${log}`);
    await sleep(100);
  }
  return { origin, stateDir, createKey, cleanup, fail };
}
