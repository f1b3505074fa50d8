/**
 * The origin gateway in service (docs/architecture.md "Gateway contract"): takes jobs from the Worker on
 * `POST /jobs`, places each as a fax call (at most `maxCalls` at once, FIFO beyond), reports every step
 * to the Worker, answers calls on its SIP address and hands received faxes to the Worker.
 *
 * In loopback mode (no trunk configured, the local default) calls go to our own SIP listener, so a fax to
 * a number provisioned on this instance goes out over SIP/T.38 on 127.0.0.1 and comes back in as a
 * received fax; the Worker's route check turns away numbers that are not ours (SIP 404).
 *
 * Shutdown (`stop`): no new jobs or calls (503), jobs still waiting are handed back at once (`failed`,
 * `gateway.lost`, retryable: the Worker retries them), calls in progress get the grace period to finish,
 * and those still running after it are handed back the same way.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifySignedHeaders } from "../../lib/signature.js";
import { answerFaxes, sendFax, type AnswerFaxesOptions, type FaxListener, type ReceivedFax } from "../fax-call.js";
import { CallQueue } from "./call-queue.js";
import type { GatewayConfig } from "./config.js";
import { EDGE_PATHS, GatewayJobSchema, type GatewayJob } from "../../contract/gateway.js";
import { createEdgeClient, type EdgeClient } from "./edge-client.js";
import { createSpool, inboundMessage, sipUserNumber, uploadSpooled, type Spool } from "./inbound.js";
import { createLogger, type Logger } from "../../lib/log.js";
import { runOutboundJob, type SendFaxFn } from "./outbound.js";
import { createAttemptReporter, type AttemptReporter } from "./reporter.js";
import { RegistrationError, type Registration } from "../sip/register.js";

const MAX_JOB_BODY_BYTES = 64 * 1024;
/** Attempt ids remembered to refuse a repeated job (the Worker sends each attempt once; this is for its retries). */
const SEEN_ATTEMPTS = 10_000;
const SPOOL_RETRY_MS = 30_000;

export interface GatewayServiceDeps {
  sendFax?: SendFaxFn;
  answerFaxes?: (opts: AnswerFaxesOptions) => Promise<FaxListener>;
  fetch?: typeof fetch;
  log?: Logger;
  /** Waits between tries of an edge POST (default 0.5, 1, 2, 4 s). */
  edgeBackoffMs?: number[];
  /** Waits between failed REGISTERs at start (default 5 s, 15 s, 1 min, then every 5 min). */
  registerBackoffMs?: number[];
}

export interface GatewayService {
  /** http://ADDRESS:PORT of POST /jobs. */
  httpUrl: string;
  httpPort: number;
  sipPort: number;
  readonly stats: { active: number; queued: number; inboundActive: number; draining: boolean };
  /** Retries the spooled inbound faxes now; resolves with how many the edge took. */
  flushSpool(): Promise<number>;
  /** Graceful stop (SIGTERM): see the file comment. Resolves once everything is closed. */
  stop(graceMs?: number): Promise<void>;
}

interface RunningJob {
  job: GatewayJob;
  reporter: AttemptReporter;
  log: Logger;
  /** Aborted when the attempt is handed back at shutdown, so the call is hung up, not left running. */
  hangUp: AbortController;
}

function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) tooBig = true;
      else chunks.push(c);
    });
    req.on("end", () => resolve(tooBig ? null : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export async function startGatewayService(config: GatewayConfig, deps: GatewayServiceDeps = {}): Promise<GatewayService> {
  const log = deps.log ?? createLogger({ level: config.logLevel });
  const edge: EdgeClient = createEdgeClient({ edgeUrl: config.edgeUrl, secret: config.secret, ...(deps.edgeBackoffMs ? { backoffMs: deps.edgeBackoffMs } : {}), ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  const doSendFax = deps.sendFax ?? sendFax;
  const doAnswerFaxes = deps.answerFaxes ?? answerFaxes;
  const spool: Spool = createSpool(config.spoolDir);
  const seen = new Set<string>();
  let draining = false;
  let listener: FaxListener | null = null;
  let trunk = config.trunk;

  const queue = new CallQueue<RunningJob>(config.maxCalls, config.maxQueue, (running) =>
    runOutboundJob(running.job, { config, trunk: trunk!, sendFax: doSendFax, reporter: running.reporter, log: running.log, signal: running.hangUp.signal, ...(deps.fetch ? { fetch: deps.fetch } : {}) }),
  );

  const remember = (attemptId: string) => {
    seen.add(attemptId);
    if (seen.size > SEEN_ATTEMPTS) seen.delete(seen.values().next().value as string);
  };

  // ---- inbound ----

  const accept = async (info: { callId: string; caller: string; callee: string }): Promise<boolean | number> => {
    const callee = sipUserNumber(info.callee);
    const clog = log.child({ call_id: info.callId, caller: sipUserNumber(info.caller), callee });
    if (draining) {
      clog.info("call refused: shutting down");
      return 503;
    }
    if (listener && listener.active > config.maxCalls) {
      clog.warn("call refused: too many calls in progress", { active: listener.active });
      return 486;
    }
    if (config.dids && !config.dids.includes(callee)) {
      clog.info("call refused: not one of our DIDs");
      return 404;
    }
    if (!config.routeCheck) return true;
    try {
      const res = await edge.post(EDGE_PATHS.route, { callee }, { backoffMs: [200, 500] });
      if (res.status === 404) {
        clog.info("call refused: the number is not provisioned on this instance");
        return 404;
      }
      if (res.status >= 300) {
        clog.error("the edge refused the route check", { status: res.status });
        return 503;
      }
      clog.info("answering");
      return true;
    } catch (err) {
      // Better a fax kept in the spool than a call turned away because the edge blinked.
      clog.warn("route check failed; answering anyway", { error: (err as Error).message });
      return true;
    }
  };

  let flushing: Promise<number> | null = null;
  const flushSpool = (): Promise<number> => {
    if (flushing) return flushing;
    flushing = (async () => {
      let delivered = 0;
      for (const file of spool.list()) {
        const outcome = await uploadSpooled(edge, spool, file, log, deps.edgeBackoffMs);
        if (outcome === "delivered") delivered++;
        if (outcome === "spooled") break; // the edge is down; the next round tries again
      }
      return delivered;
    })().finally(() => (flushing = null));
    return flushing;
  };

  const inboundUploads = new Set<Promise<unknown>>();
  const onFax = async (fax: ReceivedFax): Promise<void> => {
    const clog = log.child({ call_id: fax.callId, caller: sipUserNumber(fax.caller), callee: sipUserNumber(fax.callee) });
    if (fax.pages.length === 0) {
      if (fax.sipStatus && fax.sipStatus >= 300) return; // refused before answering; logged by accept
      clog.info("call ended without a fax", { code: fax.failureCode, t30_result: fax.t30Result, duration_ms: fax.durationMs });
      return;
    }
    clog.info("fax received", { success: fax.success, code: fax.failureCode, t30_result: fax.t30Result, pages: fax.pages.length, remote_ident: fax.remoteIdent, duration_ms: fax.durationMs });
    let file: string;
    try {
      file = spool.put(inboundMessage(fax, new Date()));
    } catch (err) {
      clog.error("could not build or spool the received fax", { error: (err as Error).message });
      return;
    }
    const upload = uploadSpooled(edge, spool, file, clog, deps.edgeBackoffMs);
    inboundUploads.add(upload);
    await upload.finally(() => inboundUploads.delete(upload));
  };

  listener = await doAnswerFaxes({
    bind: config.sip.address,
    port: config.sip.port,
    ecm: config.ecm,
    uaOptions: { ...(config.publicAddress ? { publicAddress: config.publicAddress } : {}) },
    accept,
    onFax,
  });
  if (!trunk) trunk = { address: config.publicAddress ?? config.sip.address, port: listener.port };

  // ---- registration (RFC 3261 §10): the listener's Contact, bound at the trunk until we stop ----

  let registration: Registration | null = null;
  let registerTimer: NodeJS.Timeout | undefined;
  const registerBackoffMs = deps.registerBackoffMs ?? [5_000, 15_000, 60_000, 300_000];
  const registerOnce = async (attempt: number): Promise<void> => {
    if (!config.register || !config.trunk || draining || !listener) return;
    const { aor, expires } = config.register;
    const rlog = log.child({ aor, registrar: `${config.trunk.address}:${config.trunk.port}` });
    try {
      const r = await listener.ua.register({
        registrar: `${config.trunk.address}:${config.trunk.port}`,
        aor,
        expires,
        ...(config.trunkCredentials ?? {}),
        onRefreshError: (err) => rlog.warn("REGISTER refresh failed; trying again", { status: err.status, detail: err.message }),
      });
      if (draining) return void r.unregister().catch(() => undefined);
      registration = r;
      rlog.info("registered", { expires: r.expires });
    } catch (err) {
      // A registrar that is down or refuses us must not take the gateway down: log and try again later.
      const retryMs = registerBackoffMs[Math.min(attempt, registerBackoffMs.length - 1)]!;
      rlog.error("REGISTER failed", { status: err instanceof RegistrationError ? err.status : null, detail: (err as Error).message, retry_ms: retryMs });
      if (draining) return;
      registerTimer = setTimeout(() => void registerOnce(attempt + 1), retryMs);
      registerTimer.unref();
    }
  };
  void registerOnce(0);

  // ---- jobs ----

  const handleJobs = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, MAX_JOB_BODY_BYTES);
    if (body === null) return json(res, 413, { error: "The job is too large." });
    const header = (name: string) => {
      const v = req.headers[name];
      return typeof v === "string" ? v : null;
    };
    const signed = await verifySignedHeaders(config.secret, header, body);
    if (!signed) {
      log.warn("job refused: bad signature", { remote: req.socket.remoteAddress });
      return json(res, 401, { error: "The signature is missing, wrong or too old." });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return json(res, 400, { error: "The body is not JSON." });
    }
    const check = GatewayJobSchema.safeParse(parsed);
    if (!check.success) return json(res, 422, { error: "The job is not valid.", issues: check.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
    const job = check.data;
    const jlog = log.child({ fax_id: job.fax_id, attempt_id: job.attempt_id });
    if (seen.has(job.attempt_id)) {
      jlog.info("repeated job ignored");
      return json(res, 202, { attempt_id: job.attempt_id, status: "duplicate" });
    }
    if (draining) return json(res, 503, { error: "The gateway is shutting down." }, { "retry-after": "30" });
    const outcome = queue.submit({ job, reporter: createAttemptReporter(edge, job, jlog), log: jlog, hangUp: new AbortController() });
    if (outcome === "full" || outcome === "closed") {
      jlog.warn("job refused: queue full", { queued: queue.queued });
      return json(res, 503, { error: "Every line is busy and the queue is full." }, { "retry-after": "60" });
    }
    remember(job.attempt_id);
    jlog.info(outcome === "started" ? "job accepted" : "job queued", { to: job.to, queued: queue.queued, active: queue.active });
    return json(res, 202, { attempt_id: job.attempt_id, status: outcome });
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "POST" && path === "/jobs") {
      handleJobs(req, res).catch((err) => {
        log.error("POST /jobs crashed", { error: (err as Error).message });
        if (!res.headersSent) json(res, 500, { error: "Internal error" });
      });
      return;
    }
    if (req.method === "GET" && path === "/health") {
      return json(res, draining ? 503 : 200, { ok: !draining, active: queue.active, queued: queue.queued, inbound_active: listener?.active ?? 0, sip_port: listener?.port ?? null, loopback: config.trunk === null });
    }
    json(res, 404, { error: "Not found" });
  });
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.http.port, config.http.address, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    listener.close();
    throw err;
  }
  const httpPort = (server.address() as AddressInfo).port;

  const spoolTimer = setInterval(() => void flushSpool().catch(() => undefined), SPOOL_RETRY_MS);
  spoolTimer.unref();
  // Faxes received before a restart (or while the edge was down) go first.
  void flushSpool().catch(() => undefined);

  log.info("gateway ready", { http: `http://${config.http.address}:${httpPort}`, sip: `${config.sip.address}:${listener.port}`, trunk: `${trunk.address}:${trunk.port}`, loopback: config.trunk === null, edge: config.edgeUrl, max_calls: config.maxCalls });

  let stopped: Promise<void> | null = null;
  const stop = (graceMs = config.shutdownGraceMs): Promise<void> => {
    if (stopped) return stopped;
    stopped = (async () => {
      draining = true;
      clearInterval(spoolTimer);
      clearTimeout(registerTimer);
      if (registration) {
        // §10.2.2: remove our binding first, so the trunk stops sending calls we would refuse.
        await registration.unregister().catch((err: Error) => log.warn("unREGISTER failed", { detail: err.message }));
        registration = null;
      }
      const deadline = Date.now() + graceMs;
      const waiting = queue.close();
      log.info("shutting down", { active: queue.active, queued: waiting.length, inbound_active: listener?.active ?? 0, grace_ms: graceMs });
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all(
        waiting.map((r) => r.reporter.result({ kind: "failed", code: "gateway.lost", detail: "The gateway shut down before the call started.", t30_result: null, pages_sent: 0 })),
      );
      const finished = await queue.idle(Math.max(0, deadline - Date.now()));
      if (!finished) {
        const left = queue.activeItems();
        log.warn("grace period over: handing back calls in progress", { calls: left.length });
        await Promise.all(
          left.map((r) => {
            r.log.warn("call handed back at shutdown");
            r.hangUp.abort(new Error("the gateway shut down"));
            return r.reporter.result({ kind: "failed", code: "gateway.lost", detail: "The gateway shut down during the call.", t30_result: null });
          }),
        );
      }
      while (listener && listener.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await Promise.allSettled([...inboundUploads]);
      if (flushing) await flushing.catch(() => undefined);
      listener?.close();
      server.closeAllConnections();
      await closing;
      log.info("gateway stopped");
    })();
    return stopped;
  };

  return {
    httpUrl: `http://${config.http.address}:${httpPort}`,
    httpPort,
    sipPort: listener.port,
    get stats() {
      return { active: queue.active, queued: queue.queued, inboundActive: listener?.active ?? 0, draining };
    },
    flushSpool,
    stop,
  };
}
