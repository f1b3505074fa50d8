// @ts-check
// The Worker as `npm start` runs it: the bundle `wrangler deploy` would upload (built with
// `wrangler deploy --dry-run`), run by Miniflare in workerd with every binding wrangler.toml declares
// (D1, R2, Durable Objects, Queues, static assets) and the secrets in .dev.vars, persisted where
// `wrangler dev --persist-to` keeps them, so `wrangler d1 …--local` and `npm run dev` see the same state.
//
//   node scripts/local-worker.mjs --port 8787 --persist-to DIR [--var NAME:VALUE]...
//
// In front of workerd sits a small HTTP front on --port (see startFront). It plays the part
// `wrangler dev`'s proxy Worker plays, without its hot reload: requests reach workerd over a bounded
// pool of keep-alive connections, first come first served. workerd serves many connections to one
// isolate unevenly once it is saturated (some wait hundreds of ms while others are answered at once);
// the queue in front keeps that wait fair, at a fifth of the proxy Worker's CPU per request.
// It also answers GET /__scheduled?cron=… by running the Worker's scheduled() handler, as
// `wrangler dev --test-scheduled` does, which is how start.mjs fires the cron.
//
// `npm run dev` keeps `wrangler dev` (it rebuilds and reloads on every source change).
import { mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { tsImport } from "tsx/esm/api";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { root, runWrangler } from "./local-env.mjs";
import { outboxBinding, outboxDir } from "./local-outbox.mjs";

/** Concurrent requests the front lets into workerd; the rest wait their turn in arrival order. */
const UPSTREAM_CONNECTIONS = 16;
/** GET /v1/faxes/{id}/stream and /v1/events/stream (Server-Sent Events), which stay open. */
const EVENT_STREAM_PATH = /^\/v1\/(faxes\/[^/?]+|events)\/stream(\?|$)/;
/** Hop-by-hop headers (RFC 9110 §7.6.1) are the front's own business, not workerd's or the client's. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"]);

/** @typedef {{ port: number, persistTo: string, vars: Record<string, string> }} WorkerArgs */

/**
 * @param {string[]} argv
 * @returns {WorkerArgs}
 */
function parseArgs(argv) {
  /** @type {WorkerArgs} */
  const args = { port: 8787, persistTo: path.join(root, ".wrangler", "state"), vars: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === "--port") args.port = Number(value);
    else if (flag === "--persist-to") args.persistTo = path.resolve(value);
    else if (flag === "--var") {
      // NAME:VALUE, split at the first colon (wrangler's --var format), so values may hold colons.
      const colon = value.indexOf(":");
      if (colon < 1) throw new Error(`--var takes NAME:VALUE, not ${JSON.stringify(value)}`);
      args.vars[value.slice(0, colon)] = value.slice(colon + 1);
    } else throw new Error(`unknown option ${flag}`);
    i++;
  }
  if (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535) throw new Error(`--port must be a TCP port, not ${args.port}`);
  return args;
}

/**
 * `wrangler deploy --dry-run`: the production bundle (wasm modules beside it), no upload.
 * @param {string} outdir
 */
function buildBundle(outdir) {
  const result = runWrangler(["deploy", "--dry-run", "--outdir", outdir]);
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
    throw new Error(`could not build the Worker (wrangler deploy --dry-run):\n${output || result.error?.message || `status ${result.status}`}`);
  }
}

/** @param {{ persistTo: string, vars: Record<string, string>, outdir: string }} options */
function startMiniflare({ persistTo, vars, outdir }) {
  const configPath = path.join(root, "wrangler.toml");
  const config = unstable_readConfig({ config: configPath });
  // Bindings, Durable Objects, queues and assets exactly as wrangler dev derives them from wrangler.toml
  // (and .dev.vars); --var values override vars as `wrangler dev --var` does.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  return new Miniflare({
    host: "127.0.0.1",
    port: 0,
    log: new Log(LogLevel.WARN),
    // EDGEFAX_INSPECTOR_PORT=9229 npm start: attach Chrome DevTools (profiles, heap) to the Worker's isolate.
    inspectorPort: process.env.EDGEFAX_INSPECTOR_PORT ? Number(process.env.EDGEFAX_INSPECTOR_PORT) : undefined,
    // wrangler dev --persist-to DIR keeps D1, R2, Durable Objects, KV and the cache under DIR/v3.
    defaultPersistRoot: path.join(persistTo, "v3"),
    workers: [
      {
        ...workerOptions,
        name: config.name,
        bindings: { ...workerOptions.bindings, ...vars },
        // The portal's mail goes to files in the state directory instead of the send_email binding (src/portal/mail.ts).
        serviceBindings: { ...workerOptions.serviceBindings, LOCAL_OUTBOX: outboxBinding(outboxDir(persistTo)) },
        modules: true,
        modulesRoot: outdir,
        scriptPath: path.join(outdir, "worker.js"),
      },
    ],
  });
}

/**
 * Sends the client's body on to workerd, but never a byte the Worker will not read. The Worker refuses a
 * body over its limit (src/api/middleware/body-limit.ts) once it has counted one byte too many, or by a
 * Content-Length over it; workerd then closes a connection with unread bytes in it, and the reset it sends
 * discards the 413 before the front can read it ("write ECONNRESET", a 502). So the body stops one byte
 * past the limit (a declared length over it goes on chunked, see startFront, since Miniflare's entry does
 * not answer a request whose declared body never comes) and the rest of the client's body is read and
 * dropped. Returns whether the body was cut.
 * @param {http.IncomingMessage} req
 * @param {http.ClientRequest} forward
 * @param {number} limit
 * @returns {{ cut: boolean }}
 */
function forwardBody(req, forward, limit) {
  const state = { cut: false };
  let sent = 0;
  req.on("data", (/** @type {Buffer} */ chunk) => {
    if (state.cut) return;
    const room = limit + 1 - sent;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    sent += part.length;
    if (sent > limit) state.cut = true;
    if (!forward.write(part) && !state.cut) {
      req.pause();
      forward.once("drain", () => req.resume());
    }
    if (state.cut) req.resume();
  });
  req.on("end", () => {
    if (!state.cut) forward.end();
  });
  return state;
}

/**
 * The front on 127.0.0.1:port: forwards each request to workerd (Host kept, so the Worker sees the
 * address the client used), streams bodies both ways, and drops the upstream request when the client
 * goes away, so an abandoned request never holds one of the pool's connections.
 */
/**
 * @param {{ port: number, upstream: URL, maxBodyBytes: number, scheduled: (cron: string) => Promise<{ outcome: string }> }} options
 * @returns {Promise<http.Server>}
 */
function startFront({ port, upstream, maxBodyBytes, scheduled }) {
  // An idle connection is dropped after 3 s, before workerd's own idle timeout (KJ's 5 s pipeline
  // timeout) could close it under a request just being sent on it. The timeout never cuts a request.
  const agent = new http.Agent({ keepAlive: true, maxSockets: UPSTREAM_CONNECTIONS, scheduling: "fifo", timeout: 3_000 });
  // Event streams (SSE) hold their connection for as long as the client listens: they get connections
  // of their own, or 16 listeners would take every turn from the API.
  const streamAgent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && req.url?.startsWith("/__scheduled")) {
      const cron = new URL(req.url, "http://front").searchParams.get("cron") ?? "";
      scheduled(cron).then(
        (/** @type {{ outcome: string }} */ result) => send(res, result.outcome === "ok" ? 200 : 500, `Ran scheduled event: ${result.outcome}\n`),
        (/** @type {Error} */ error) => send(res, 500, `The scheduled handler failed: ${error.message}\n`),
      );
      return;
    }
    /** @type {http.OutgoingHttpHeaders} */
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
    if (Number(req.headers["content-length"] ?? 0) > maxBodyBytes) delete headers["content-length"];
    const bodyless = req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined;
    // A safe request without a body can be sent again as it was (see below).
    const resendable = bodyless && (req.method === "GET" || req.method === "HEAD" || req.method === "OPTIONS");
    /** @type {http.ClientRequest | undefined} */
    let forward;
    let body = { cut: false };
    /** @param {number} attempt */
    const sendUpstream = (attempt) => {
      const long = EVENT_STREAM_PATH.test(req.url ?? "");
      forward = http.request({ agent: long ? streamAgent : agent, host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
        /** @type {http.OutgoingHttpHeaders} */
        const out = {};
        for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
        answer.pipe(res);
        // A connection whose request body was cut cannot carry another request.
        if (body.cut) answer.on("end", () => sent.destroy());
        answer.on("error", () => res.destroy());
      });
      const sent = forward;
      sent.on("error", (/** @type {NodeJS.ErrnoException} */ error) => {
        if (res.destroyed || res.writableEnded) return; // the client left first (see "close" below)
        // A kept-alive connection workerd closed just as we reused it (RFC 9112 §9.3.1: a client may
        // retry an idempotent request then). A safe request is sent once more; any other gets the 502.
        if (attempt === 0 && resendable && sent.reusedSocket && !res.headersSent) return sendUpstream(1);
        console.error(`local-worker: ${req.method} ${req.url}: workerd did not answer (${error.code ?? error.message})`);
        if (!res.headersSent) send(res, 502, `The local Worker did not answer: ${error.message}\n`);
        else res.destroy();
      });
      if (bodyless) sent.end();
      else body = forwardBody(req, sent, maxBodyBytes);
    };
    res.on("close", () => {
      if (!res.writableFinished) forward?.destroy();
    });
    sendUpstream(0);
  });
  // Connections stay open between requests as long as clients like (autocannon, browsers).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/**
 * @param {http.ServerResponse} res
 * @param {number} status
 * @param {string} text
 */
function send(res, status, text) {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

// ---- main ----

/** @type {WorkerArgs} */
let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(`local-worker: ${error instanceof Error ? error.message : error}`);
  process.exit(2);
}
const outdir = path.join(args.persistTo, "worker-bundle");
mkdirSync(outdir, { recursive: true });
try {
  buildBundle(outdir);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
const mf = startMiniflare({ ...args, outdir });
const upstream = await mf.ready;
const worker = await mf.getWorker();
// The Worker's own bound on request bodies, read by its own settings() from the same vars it sees.
const { settings } = await tsImport("../src/config.ts", import.meta.url);
const { vars } = unstable_readConfig({ config: path.join(root, "wrangler.toml") });
const front = await startFront({
  port: args.port,
  upstream,
  maxBodyBytes: settings({ ...vars, ...args.vars }).maxRequestBytes,
  scheduled: (cron) => worker.scheduled({ cron }),
});
console.log(`local-worker: the Worker (workerd) answers on http://127.0.0.1:${args.port}`);

let stopping = false;
/** @param {number} code */
async function stop(code) {
  if (stopping) return;
  stopping = true;
  front.close();
  front.closeAllConnections();
  await mf.dispose().catch(() => undefined);
  process.exit(code);
}
process.on("SIGINT", () => void stop(130));
process.on("SIGTERM", () => void stop(143));
// Started by start.mjs: if it is gone (even killed with SIGKILL), so are we, workerd with us.
const supervisor = Number(process.env.EDGEFAX_SUPERVISOR_PID);
if (supervisor) {
  setInterval(() => {
    if (process.ppid !== supervisor) void stop(143);
  }, 1_000).unref();
}
