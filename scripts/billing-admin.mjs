// @ts-check
// The operator's billing calls (credits:grant, invoice:paid): a JSON body POSTed to the running Worker's
// /internal/billing/… route, signed (Standard Webhooks, src/lib/signature.ts: `v1,<base64 HMAC-SHA256 of
// id.timestamp.body>`) with BILLING_ADMIN_SECRET from the environment, else the local .dev.vars that `npm start`
// writes. Prints the answer as JSON; exits 1 when the Worker refuses or cannot be reached, 2 without a secret.
import { createHmac, randomUUID } from "node:crypto";
import { ensureDevVars, workerPort } from "./local-env.mjs";

/**
 * @param {string} path the route, e.g. /internal/billing/credits
 * @param {Record<string, unknown>} order the JSON body
 * @param {string | undefined} url the Worker's base URL (--url), else EDGEFAX_URL, else the local one
 */
export async function callBillingAdmin(path, order, url) {
  const secret = process.env.BILLING_ADMIN_SECRET ?? ensureDevVars().BILLING_ADMIN_SECRET;
  if (!secret) {
    console.error("No BILLING_ADMIN_SECRET: set it in the environment (the Worker's secret of the same name).");
    process.exit(2);
  }
  const base = (url ?? process.env.EDGEFAX_URL ?? `http://127.0.0.1:${workerPort()}`).replace(/\/+$/, "");
  const body = JSON.stringify(order);
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
  let res;
  try {
    res = await fetch(`${base}${path}`, {
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
  process.stdout.write(text + "\n");
}
