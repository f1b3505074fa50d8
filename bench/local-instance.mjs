// @ts-check
// A private `npm start` instance for a benchmark, through the launcher the local tests use
// (scripts/local-platform.mjs): a fresh temporary state directory and a free port, a key with a rate limit
// no benchmark reaches, and a clean stop (also on Ctrl-C) that removes the state.
import { createServer } from "node:http";
import { createKey, makeStateDir, removeStateDir, sleep, startLocalPlatform } from "../scripts/local-platform.mjs";

export { sleep };

/**
 * Starts the instance and waits until it is ready.
 * @param {{ name: string, onCleanup?: () => void }} options  `name` labels the state dir and the key's account.
 */
export async function startBenchInstance({ name, onCleanup }) {
  const stateDir = await makeStateDir(name);
  /** @type {import("../scripts/local-platform.mjs").LocalPlatform | null} */
  let platform = null;

  let cleaned = false;
  async function cleanup() {
    if (cleaned) return;
    cleaned = true;
    await platform?.stop().catch((/** @type {Error} */ error) => console.error(error.message));
    onCleanup?.();
    await removeStateDir(stateDir);
  }
  process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));
  process.on("SIGTERM", () => void cleanup().then(() => process.exit(143)));

  /** @param {string} message */
  async function fail(message) {
    console.error(message);
    await cleanup();
    process.exit(1);
  }

  console.error(`bench:${name}  starting a local instance (state ${stateDir}) ...`);
  try {
    platform = await startLocalPlatform({ stateDir });
  } catch (error) {
    await fail(error instanceof Error ? error.message : String(error));
    throw error;
  }
  const origin = platform.url;
  console.error(`bench:${name}  the instance answers on ${origin}`);
  return { origin, stateDir, createKey: () => createKey(stateDir, { rateLimit: 100_000_000, name: `Benchmark ${name}` }), cleanup, fail };
}

/**
 * A webhook receiver on 127.0.0.1 (node:http): `take(body, headers, at)` gets each request's whole body
 * and the time it arrived, and returns true to answer 200 (false: 400, e.g. a bad signature).
 * @param {(body: string, headers: import("node:http").IncomingHttpHeaders, at: number) => boolean} take
 */
export async function startReceiver(take) {
  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      const ok = take(Buffer.concat(chunks).toString("utf8"), req.headers, at);
      res.writeHead(ok ? 200 : 400).end(ok ? "ok" : "bad signature");
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { server, url: `http://127.0.0.1:${address.port}/hooks` };
}
