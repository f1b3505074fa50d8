// @ts-check
// Shared by the local scripts: where local state lives, the offline wrangler environment, the local
// secrets (generated once into .dev.vars, which wrangler dev reads), and the D1 migrations.
//
// Environment:
//   EDGEFAX_STATE_DIR  where D1, R2 and Durable Object state persist (default .wrangler/state), so tests
//                      and benchmarks can run isolated instances next to a developer's own.
//   PORT               the Worker's port on 127.0.0.1 (default 8787).
import { spawnSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const persistDir = process.env.EDGEFAX_STATE_DIR
  ? path.resolve(process.env.EDGEFAX_STATE_DIR)
  : path.join(root, ".wrangler", "state");
export const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");

/** The Worker's port: PORT, or 8787. */
export function workerPort() {
  const raw = process.env.PORT ?? "8787";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`PORT must be a TCP port number (1-65535), not ${JSON.stringify(raw)}.`);
  }
  return port;
}

/**
 * docs/toolchain.md "Offline runs": without the first two, wrangler reaches for the network (request.cf data, telemetry).
 * WRANGLER_HIDE_BANNER skips the banner, whose update check asks registry.npmjs.org for the latest
 * wrangler; npm_config_registry points wrangler's other update checks (after an error, on a config
 * warning) at a closed loopback port, so they fail at once instead of leaving the machine.
 */
export const offlineEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  npm_config_registry: "http://127.0.0.1:9/",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "warn",
};

/** Reads .dev.vars, adding any missing local secret; written atomically so concurrent starts never see half a file. */
export function ensureDevVars() {
  const file = path.join(root, ".dev.vars");
  const vars = existsSync(file) ? readFileSync(file, "utf8") : "";
  const wanted = { SIGNING_SECRET: 32, GATEWAY_SECRET: 32, BILLING_ADMIN_SECRET: 32, OCR_SECRET: 32 };
  let text = vars;
  if (text !== "" && !text.endsWith("\n")) text += "\n";
  for (const [name, bytes] of Object.entries(wanted)) {
    if (!new RegExp(`^${name}=`, "m").test(text)) text += `${name}=${randomBytes(bytes).toString("hex")}\n`;
  }
  // The AES-256-GCM key that encrypts webhook secrets at rest: base64 of 32 bytes.
  if (!/^WEBHOOK_ENCRYPTION_KEY=/m.test(text)) text += `WEBHOOK_ENCRYPTION_KEY=${randomBytes(32).toString("base64")}\n`;
  // The Ed25519 seed that signs the audit log's daily checkpoints: base64 of 32 bytes.
  if (!/^AUDIT_SIGNING_KEY=/m.test(text)) text += `AUDIT_SIGNING_KEY=${randomBytes(32).toString("base64")}\n`;
  // The key-encryption key of documents in R2 (a comma-separated list when rotating; the first is current).
  if (!/^DOCUMENT_ENCRYPTION_KEY=/m.test(text)) text += `DOCUMENT_ENCRYPTION_KEY=${randomBytes(32).toString("base64")}\n`;
  if (text !== vars) {
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text, { mode: 0o600 });
    renameSync(temp, file);
  }
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

/**
 * Runs a wrangler command to completion (offline, non-interactive).
 * @param {string[]} args
 */
export function runWrangler(args) {
  return spawnSync(wranglerBin, args, {
    cwd: root,
    env: { ...offlineEnv, CI: "true" },
    encoding: "utf8",
    timeout: 120_000,
  });
}

/**
 * Applies the D1 migrations to the local database in `persistDir`. Returns { ok: true } or
 * { ok: false, message } with a message a user can act on.
 */
export function applyMigrations() {
  if (!existsSync(wranglerBin)) {
    return { ok: false, message: "wrangler is not installed: run `npm install` first." };
  }
  const result = runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]);
  if (result.status === 0) return { ok: true };
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
  const reason = result.error
    ? String(result.error.message)
    : result.signal
      ? `wrangler was stopped by ${result.signal}`
      : `wrangler exited with status ${result.status}`;
  return {
    ok: false,
    message: [
      `Could not apply the local D1 migrations (migrations/) to ${persistDir}: ${reason}.`,
      output ? output.split("\n").map((l) => `  ${l}`).join("\n") : "",
      "Check the SQL in migrations/, or start over with a fresh state directory",
      "(delete it, or set EDGEFAX_STATE_DIR to an empty directory). Nothing was started.",
    ]
      .filter(Boolean)
      .join("\n"),
  };
}

/**
 * A script's command line (node:util parseArgs, strict, plus -h/--help): a bad one prints the error and
 * `usage` and exits 2; --help prints `usage` and exits 0.
 * @template {NonNullable<import("node:util").ParseArgsConfig["options"]>} T
 * @param {T} options
 * @param {string} usage
 */
export function cliArgs(options, usage) {
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: "boolean", short: "h", default: false } }, strict: true });
    if ("help" in values && values.help) {
      console.error(usage);
      process.exit(0);
    }
    return /** @type {ReturnType<typeof parseArgs<{ options: T; strict: true }>>["values"]} */ (values);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${usage}`);
    process.exit(2);
  }
}

/**
 * An operator command's call to the running Worker: POST `body` (JSON) to `base + route`, signed like the
 * gateway's messages (src/lib/signature.ts: Standard Webhooks v1, `v1,<base64 HMAC-SHA256 of id.timestamp.body>`).
 * Resolves with the answer's text; an unreachable Worker or an answer that is not 2xx ends the process with 1.
 * @param {string} base
 * @param {string} route
 * @param {string} secret
 * @param {string} body
 */
export async function postSignedToWorker(base, route, secret, body) {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
  let res;
  try {
    res = await fetch(`${base}${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` },
      body,
    });
  } catch (error) {
    console.error(`Could not reach the Worker at ${base} (is \`npm start\` running?): ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
  const text = await res.text();
  if (!res.ok) {
    console.error(`${res.status}: ${text}`);
    process.exit(1);
  }
  return text;
}
