/**
 * The gateway service's settings, from flags (`--name value`) over environment variables over defaults.
 * The secret is read from the environment only (flags show up in `ps`).
 *
 * | flag | env | default |
 * |---|---|---|
 * | --http HOST:PORT | GATEWAY_HTTP | 127.0.0.1:8790 (POST /jobs from the Worker) |
 * | --sip HOST:PORT | GATEWAY_SIP | 127.0.0.1:5090 (where we answer calls) |
 * | --public-address ADDR | GATEWAY_PUBLIC_ADDRESS | the SIP bind address (advertised in Via, Contact, SDP) |
 * | --trunk HOST:PORT or loopback | GATEWAY_TRUNK | loopback: calls go to our own SIP listener |
 * | --trunk-user, --trunk-password | GATEWAY_TRUNK_USER, GATEWAY_TRUNK_PASSWORD | none (digest auth, RFC 3261 §22.2) |
 * | --register | GATEWAY_REGISTER | false; true REGISTERs the SIP listener with the trunk (RFC 3261 §10), which needs --trunk |
 * | --register-aor URI | GATEWAY_REGISTER_AOR | sip:TRUNK_USER@TRUNK_HOST (the address-of-record to bind) |
 * | --register-expires SECONDS | GATEWAY_REGISTER_EXPIRES | 3600 (asked for; the registrar may grant less) |
 * | --dids +1555...,... | GATEWAY_DIDS | any: the edge's route check decides |
 * | --edge-url URL | EDGE_URL | required |
 * | (env only) | GATEWAY_SECRET | required |
 * | --max-calls N | GATEWAY_MAX_CALLS | 4 outbound calls at once (inbound calls have their own limit of N) |
 * | --max-queue N | GATEWAY_MAX_QUEUE | 100 jobs waiting beyond that; more are refused with 503 |
 * | --spool DIR | GATEWAY_SPOOL_DIR | .edgefax/gateway-spool (received faxes the edge has not taken yet) |
 * | --grace SECONDS | GATEWAY_SHUTDOWN_GRACE_SECONDS | 30: how long SIGTERM waits for calls in progress |
 * | --route-check on/off | GATEWAY_ROUTE_CHECK | on: ask the edge whether a called number is ours before answering |
 * | --ecm on/off | GATEWAY_ECM | on |
 * | --log-level L | GATEWAY_LOG_LEVEL | info |
 * | --heartbeat-seconds N | GATEWAY_HEARTBEAT_SECONDS | 20 (the Worker's sweep waits SWEEP_STALE_SECONDS, 300 by default) |
 * | --call-timeout-seconds N | GATEWAY_CALL_TIMEOUT_SECONDS | 900: a whole call's limit |
 */
import { parseArgs } from "node:util";
import type { LogLevel } from "../../lib/log.js";

export interface HostPort {
  address: string;
  port: number;
}

export interface GatewayConfig {
  http: HostPort;
  sip: HostPort;
  publicAddress: string | null;
  /** null: loopback mode, calls go to our own SIP listener (the local default, no carrier). */
  trunk: HostPort | null;
  trunkCredentials: { username: string; password: string } | null;
  /** REGISTER with the trunk as registrar (RFC 3261 §10), refreshed until shutdown; false: the trunk routes to us by IP. */
  register: false | { aor: string; expires: number };
  /** E.164 numbers we answer; null answers any (the edge's route check decides). */
  dids: string[] | null;
  edgeUrl: string;
  secret: string;
  maxCalls: number;
  maxQueue: number;
  spoolDir: string;
  shutdownGraceMs: number;
  routeCheck: boolean;
  ecm: boolean;
  logLevel: LogLevel;
  /** Heartbeats during a call: the Worker's sweep takes a silent attempt for dead after SWEEP_STALE_SECONDS (300 by default). */
  heartbeatMs: number;
  /** Cap on the TIFF-F the gateway fetches, and how long the fetch may take. */
  maxTiffBytes: number;
  tiffTimeoutMs: number;
  /** A whole call's limit (sendFax callTimeoutMs); the service gives up on a call a minute past it. */
  callTimeoutMs: number;
}

export class ConfigError extends Error {}

function hostPort(value: string, what: string): HostPort {
  const m = value.match(/^([^:\s]+):(\d{1,5})$/);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${what} must be HOST:PORT, not ${JSON.stringify(value)}`);
  return { address: m[1]!, port };
}

function positiveInt(value: string, what: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${what} must be an integer >= ${min}, not ${JSON.stringify(value)}`);
  return n;
}

function onOff(value: string, what: string): boolean {
  if (["on", "true", "1", "yes"].includes(value)) return true;
  if (["off", "false", "0", "no"].includes(value)) return false;
  throw new ConfigError(`${what} must be on or off, not ${JSON.stringify(value)}`);
}

/** E.164 as the edge stores numbers: "+" and 8-15 digits. */
export function normalizeE164(value: string): string | null {
  const digits = value.replace(/[\s().-]/g, "");
  const m = digits.match(/^\+?(\d{6,15})$/);
  return m ? `+${m[1]}` : null;
}

export function loadConfig(argv: string[], env: Record<string, string | undefined>): GatewayConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        http: { type: "string" },
        sip: { type: "string" },
        "public-address": { type: "string" },
        trunk: { type: "string" },
        "trunk-user": { type: "string" },
        "trunk-password": { type: "string" },
        register: { type: "boolean" },
        "register-aor": { type: "string" },
        "register-expires": { type: "string" },
        dids: { type: "string" },
        "edge-url": { type: "string" },
        "max-calls": { type: "string" },
        "max-queue": { type: "string" },
        spool: { type: "string" },
        grace: { type: "string" },
        "route-check": { type: "string" },
        ecm: { type: "string" },
        "log-level": { type: "string" },
        "heartbeat-seconds": { type: "string" },
        "call-timeout-seconds": { type: "string" },
      },
      strict: true,
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const pick = (flag: string, name: string): string | undefined => {
    const v = values[flag];
    if (typeof v === "string") return v;
    const e = env[name];
    return e === undefined || e === "" ? undefined : e;
  };
  const edgeUrl = pick("edge-url", "EDGE_URL");
  if (!edgeUrl || !/^https?:\/\/[^/]+/.test(edgeUrl)) throw new ConfigError("EDGE_URL (or --edge-url) must be the Worker's http(s) URL, e.g. http://127.0.0.1:8787");
  const secret = env.GATEWAY_SECRET;
  if (!secret) throw new ConfigError("GATEWAY_SECRET must be set in the environment (the same secret as the Worker's)");
  const register = values.register === true || (env.GATEWAY_REGISTER !== undefined && env.GATEWAY_REGISTER !== "" && onOff(env.GATEWAY_REGISTER, "GATEWAY_REGISTER"));
  const trunkRaw = pick("trunk", "GATEWAY_TRUNK");
  const user = pick("trunk-user", "GATEWAY_TRUNK_USER");
  const password = pick("trunk-password", "GATEWAY_TRUNK_PASSWORD");
  if (!!user !== !!password) throw new ConfigError("--trunk-user and --trunk-password go together");
  const trunk = !trunkRaw || trunkRaw === "loopback" ? null : hostPort(trunkRaw, "--trunk");
  let registration: GatewayConfig["register"] = false;
  if (register) {
    if (!trunk) throw new ConfigError("--register needs --trunk HOST:PORT: the trunk is the registrar");
    const aor = pick("register-aor", "GATEWAY_REGISTER_AOR") ?? (user ? `sip:${user}@${trunk.address}` : undefined);
    if (!aor || !/^sips?:[^@\s]+@[^\s]+$/.test(aor)) throw new ConfigError("--register needs --register-aor sip:USER@DOMAIN (or --trunk-user to default it)");
    registration = { aor, expires: positiveInt(pick("register-expires", "GATEWAY_REGISTER_EXPIRES") ?? "3600", "--register-expires", 60) };
  }
  const didsRaw = pick("dids", "GATEWAY_DIDS");
  let dids: string[] | null = null;
  if (didsRaw && didsRaw !== "any") {
    dids = didsRaw.split(",").map((d) => {
      const n = normalizeE164(d.trim());
      if (!n) throw new ConfigError(`--dids: ${JSON.stringify(d.trim())} is not an E.164 number`);
      return n;
    });
  }
  const logLevel = (pick("log-level", "GATEWAY_LOG_LEVEL") ?? "info") as LogLevel;
  if (!["debug", "info", "warn", "error"].includes(logLevel)) throw new ConfigError("--log-level is debug, info, warn or error");
  return {
    http: hostPort(pick("http", "GATEWAY_HTTP") ?? "127.0.0.1:8790", "--http"),
    sip: hostPort(pick("sip", "GATEWAY_SIP") ?? "127.0.0.1:5090", "--sip"),
    publicAddress: pick("public-address", "GATEWAY_PUBLIC_ADDRESS") ?? null,
    trunk,
    trunkCredentials: user && password ? { username: user, password } : null,
    register: registration,
    dids,
    edgeUrl: edgeUrl.replace(/\/+$/, ""),
    secret,
    maxCalls: positiveInt(pick("max-calls", "GATEWAY_MAX_CALLS") ?? "4", "--max-calls"),
    maxQueue: positiveInt(pick("max-queue", "GATEWAY_MAX_QUEUE") ?? "100", "--max-queue", 0),
    spoolDir: pick("spool", "GATEWAY_SPOOL_DIR") ?? ".edgefax/gateway-spool",
    shutdownGraceMs: positiveInt(pick("grace", "GATEWAY_SHUTDOWN_GRACE_SECONDS") ?? "30", "--grace", 0) * 1000,
    routeCheck: onOff(pick("route-check", "GATEWAY_ROUTE_CHECK") ?? "on", "--route-check"),
    ecm: onOff(pick("ecm", "GATEWAY_ECM") ?? "on", "--ecm"),
    logLevel,
    heartbeatMs: positiveInt(pick("heartbeat-seconds", "GATEWAY_HEARTBEAT_SECONDS") ?? "20", "--heartbeat-seconds") * 1000,
    maxTiffBytes: 64 * 1024 * 1024,
    tiffTimeoutMs: 30_000,
    callTimeoutMs: positiveInt(pick("call-timeout-seconds", "GATEWAY_CALL_TIMEOUT_SECONDS") ?? "900", "--call-timeout-seconds", 30) * 1000,
  };
}
