// `npm run -s key:create [-- --live] [-- --rate-limit N] [-- --name NAME]`: creates an account with
// one API key and one number in local D1, and prints only the key (so `KEY=$(npm run -s key:create)` works).
// The key is shown once; only its SHA-256 is stored.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { offlineEnv, persistDir, root, wranglerBin } from "./local-env.mjs";

const args = process.argv.slice(2);
const live = args.includes("--live");
const rateIndex = args.indexOf("--rate-limit");
const rateLimit = rateIndex >= 0 ? Number(args[rateIndex + 1]) : null;
const nameIndex = args.indexOf("--name");
const name = nameIndex >= 0 ? args[nameIndex + 1] : "Local account";
if (rateLimit !== null && !(rateLimit > 0)) {
  console.error("--rate-limit needs a positive number of requests per minute");
  process.exit(1);
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";
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
const sql = (s) => `'${String(s).replace(/'/g, "''")}'`;

const mode = live ? "live" : "test";
const key = `fx_${mode}_${randomBytes(24).toString("base64url")}`;
const now = new Date().toISOString();
const accountId = newId("acct");
const keyId = newId("key");
const statements = [
  `INSERT INTO accounts (id, name, created_at) VALUES (${sql(accountId)}, ${sql(name)}, ${sql(now)});`,
  `INSERT INTO api_keys (id, account_id, mode, key_hash, key_prefix, rate_limit_per_minute, created_at) VALUES (${sql(keyId)}, ${sql(accountId)}, ${sql(mode)}, ${sql(createHash("sha256").update(key).digest("hex"))}, ${sql(key.slice(0, 12))}, ${rateLimit ?? "NULL"}, ${sql(now)});`,
];
if (!live) {
  // Test accounts start with a fictional number so `from` can be left out.
  const line = 1000 + (randomBytes(2).readUInt16BE() % 9000);
  statements.push(
    `INSERT INTO numbers (id, account_id, mode, number, label, created_at) VALUES (${sql(newId("num"))}, ${sql(accountId)}, 'test', ${sql(`+1555010${line}`)}, 'Test number', ${sql(now)});`,
  );
}
const result = spawnSync(
  wranglerBin,
  ["d1", "execute", "DB", "--local", "--persist-to", persistDir, "--command", statements.join(" ")],
  { cwd: root, env: { ...offlineEnv, CI: "true" }, encoding: "utf8" },
);
if (result.status !== 0) {
  console.error("Could not create the key. Has `npm start` (or the migrations) run once?\n" + result.stdout + result.stderr);
  process.exit(1);
}
process.stdout.write(key + "\n");
