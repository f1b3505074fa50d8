// @ts-check
// `npm run -s key:create [-- --live] [--rate-limit N] [--name NAME]`: creates an account with one API
// key (and, for a test key, one fictional number) in the local D1 of .wrangler/state (or
// EDGEFAX_STATE_DIR), and prints only the key on stdout, so `KEY=$(npm run -s key:create)` works; the
// key's id (OAuth's client_id) and the account's callback secret (it signs deliveries to a fax's own
// webhook_url) go to stderr. `--json` prints { key, key_id, account_id, callback_secret } instead.
// The key and the secret are shown once; only the key's SHA-256 is stored, and the secret encrypted
// the way the Worker encrypts it (src/webhooks/secrets.ts) under the WEBHOOK_ENCRYPTION_KEY that
// `npm start` gives the Worker (.dev.vars, or EDGEFAX_VARS when set). Works while `npm start` runs.
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { cliArgs, ensureDevVars, persistDir, runWrangler } from "./local-env.mjs";

const USAGE = "usage: npm run -s key:create [-- --live] [--rate-limit REQUESTS_PER_MINUTE] [--name ACCOUNT_NAME] [--json]";
const values = cliArgs(
  {
    live: { type: "boolean", default: false },
    "rate-limit": { type: "string" },
    name: { type: "string", default: "Local account" },
    json: { type: "boolean", default: false },
  },
  USAGE,
);
const live = values.live;
const name = values.name;
const rateLimit = values["rate-limit"] === undefined ? null : Number(values["rate-limit"]);
if (rateLimit !== null && !(Number.isSafeInteger(rateLimit) && rateLimit > 0)) {
  console.error(`--rate-limit needs a positive whole number of requests per minute, not ${JSON.stringify(values["rate-limit"])}\n${USAGE}`);
  process.exit(2);
}
if (!existsSync(persistDir)) {
  console.error(`No local state in ${persistDir}: run \`npm start\` once first (it applies the D1 migrations).`);
  process.exit(1);
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
/** @param {string} prefix */
function newId(prefix) {
  let t = Date.now();
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let tail = "";
  for (const b of randomBytes(16)) tail += CROCKFORD[b % 32];
  return `${prefix}_${time}${tail}`;
}
const sql = (/** @type {unknown} */ s) => `'${String(s).replace(/'/g, "''")}'`;

/**
 * AES-256-GCM as src/webhooks/secrets.ts does it with WebCrypto: `v1:<iv>:<ciphertext+tag>` (base64),
 * a 12-byte random IV, and the owning row's id (here the account id) as additional data.
 * @param {string} owner @param {string} secret
 */
function sealSecret(owner, secret) {
  let material;
  try {
    material = JSON.parse(process.env.EDGEFAX_VARS ?? "{}").WEBHOOK_ENCRYPTION_KEY;
  } catch {
    material = undefined;
  }
  const key = Buffer.from(material ?? ensureDevVars().WEBHOOK_ENCRYPTION_KEY, "base64");
  if (key.length !== 32) throw new Error("WEBHOOK_ENCRYPTION_KEY must be base64 of exactly 32 bytes");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(owner, "utf8"));
  const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1:${iv.toString("base64")}:${sealed.toString("base64")}`;
}

const mode = live ? "live" : "test";
const key = `fx_${mode}_${randomBytes(24).toString("base64url")}`;
const now = new Date().toISOString();
const accountId = newId("acct");
const keyId = newId("key");
// Standard Webhooks: whsec_ + base64 of 32 random bytes (the same as newWebhookSecret()).
const callbackSecret = `whsec_${randomBytes(32).toString("base64")}`;
const statements = [
  `INSERT INTO accounts (id, name, created_at) VALUES (${sql(accountId)}, ${sql(name)}, ${sql(now)});`,
  `INSERT INTO api_keys (id, account_id, mode, key_hash, key_prefix, rate_limit_per_minute, created_at) VALUES (${sql(keyId)}, ${sql(accountId)}, ${sql(mode)}, ${sql(createHash("sha256").update(key).digest("hex"))}, ${sql(key.slice(0, 12))}, ${rateLimit ?? "NULL"}, ${sql(now)});`,
  // Shown below, with the key, so it is revealed from the start.
  `INSERT INTO account_secrets (account_id, callback_secret, revealed_at, created_at) VALUES (${sql(accountId)}, ${sql(sealSecret(accountId, callbackSecret))}, ${sql(now)}, ${sql(now)});`,
];
if (!live) {
  // Test accounts start with a fictional number so `from` can be left out.
  const line = 1000 + (randomBytes(2).readUInt16BE() % 9000);
  statements.push(
    `INSERT INTO numbers (id, account_id, mode, number, label, created_at) VALUES (${sql(newId("num"))}, ${sql(accountId)}, 'test', ${sql(`+1555010${line}`)}, 'Test number', ${sql(now)});`,
  );
}
// workerd (under `npm start`) holds the same SQLite file, so a write can meet SQLITE_BUSY while the
// Worker writes; wait and try again. A retry repeats the same rows with INSERT OR IGNORE, so a first
// attempt that did land is not written twice.
const busy = (/** @type {string} */ output) => /SQLITE_BUSY|database is locked/i.test(output);
let result = runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--command", statements.join(" ")]);
for (let attempt = 1; attempt <= 8 && result.status !== 0 && busy(`${result.stdout ?? ""}${result.stderr ?? ""}`); attempt++) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200 * attempt);
  const again = statements.map((s) => s.replace(/^INSERT INTO/, "INSERT OR IGNORE INTO"));
  result = runWrangler(["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--command", again.join(" ")]);
}
if (result.status !== 0) {
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  const hint = /no such table/i.test(output)
    ? `The local database in ${persistDir} has no tables yet: run \`npm start\` once first (it applies the D1 migrations).`
    : `Could not create the key in ${persistDir}.`;
  console.error(`${hint}\n${output}`);
  process.exit(1);
}
if (values.json) {
  process.stdout.write(JSON.stringify({ key, key_id: keyId, account_id: accountId, callback_secret: callbackSecret }) + "\n");
} else {
  process.stdout.write(key + "\n");
  // On stderr, so the captured stdout stays the key alone.
  process.stderr.write(`key id (OAuth client_id): ${keyId}; account ${accountId}\n`);
  process.stderr.write(`callback secret (verifies deliveries to a fax's webhook_url; shown once): ${callbackSecret}\n`);
}
