// @ts-check
// The operator's billing calls (credits:grant, invoice:paid): a JSON body POSTed to the running Worker's
// /internal/billing/… route, signed (Standard Webhooks, src/lib/signature.ts: `v1,<base64 HMAC-SHA256 of
// id.timestamp.body>`) with BILLING_ADMIN_SECRET from the environment, else the local .dev.vars that `npm start`
// writes. Prints the answer as JSON; exits 1 when the Worker refuses or cannot be reached, 2 without a secret.
import { ensureDevVars, postSignedToWorker, workerPort } from "./local-env.mjs";

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
  const text = await postSignedToWorker(base, path, secret, JSON.stringify(order));
  process.stdout.write(text + "\n");
}
