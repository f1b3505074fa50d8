// Shared by the local scripts: where local state lives, the offline wrangler environment, and the
// local secrets (generated once into .dev.vars, which wrangler dev reads).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const persistDir = path.join(root, ".wrangler", "state");
export const wranglerBin = path.join(root, "node_modules", ".bin", "wrangler");

/** TOOLCHAIN.md: without these, wrangler reaches for the network (request.cf data, telemetry). */
export const offlineEnv = {
  ...process.env,
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "warn",
};

export function ensureDevVars() {
  const file = path.join(root, ".dev.vars");
  const vars = existsSync(file) ? readFileSync(file, "utf8") : "";
  const wanted = { SIGNING_SECRET: 32, GATEWAY_SECRET: 32 };
  let text = vars;
  for (const [name, bytes] of Object.entries(wanted)) {
    if (!new RegExp(`^${name}=`, "m").test(text)) text += `${name}=${randomBytes(bytes).toString("hex")}\n`;
  }
  if (text !== vars) writeFileSync(file, text, { mode: 0o600 });
  return Object.fromEntries(
    text
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}
