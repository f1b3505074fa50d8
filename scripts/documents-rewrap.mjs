// @ts-check
// `npm run -s documents:rewrap [-- --prefix faxes/acct_…/] [--url URL]`: after a new key was put first in
// DOCUMENT_ENCRYPTION_KEY (the old keys after it), moves every R2 object to the new key and encrypts objects
// stored before encryption existed (README "Encryption at rest"). It pages through the running Worker's
// POST /internal/documents/rewrap, signed (Standard Webhooks) with SIGNING_SECRET: from the environment, else
// the local .dev.vars that `npm start` writes. Then (unless --prefix limits it to some R2 objects) the same for
// what D1 keeps sealed under that secret: fax metadata and cover pages with their events and blind index,
// webhook delivery payloads, and external users' metadata with its blind index, then the Idempotency-Key replies
// and event-stream logs Durable Objects keep (POST /internal/documents/reseal). Exit 0 when nothing is left under another key
// (the old keys can then be removed from the secret); 1 when something remains under a key the Worker no longer has.
import { cliArgs, ensureDevVars, postSignedToWorker, workerPort } from "./local-env.mjs";

const USAGE = "usage: npm run -s documents:rewrap [-- --prefix KEY_PREFIX] [--url WORKER_URL]";
const values = cliArgs({ prefix: { type: "string" }, url: { type: "string" } }, USAGE);
const secret = process.env.SIGNING_SECRET ?? ensureDevVars().SIGNING_SECRET;
if (!secret) {
  console.error("No SIGNING_SECRET: set it in the environment (the Worker's secret of the same name).");
  process.exit(2);
}
const base = (values.url ?? process.env.EDGEFAX_URL ?? `http://127.0.0.1:${workerPort()}`).replace(/\/+$/, "");

/**
 * @param {string | null} cursor
 * @returns {Promise<{ scanned: number, rewrapped: number, sealed: number, unavailable: number, cursor: string | null }>}
 */
async function rewrapPage(cursor) {
  const body = JSON.stringify({ cursor, limit: 200, ...(values.prefix ? { prefix: values.prefix } : {}) });
  return JSON.parse(await postSignedToWorker(base, "/internal/documents/rewrap", /** @type {string} */ (secret), body));
}

const total = { scanned: 0, rewrapped: 0, sealed: 0, unavailable: 0 };
/** @type {string | null} */
let cursor = null;
do {
  const page = await rewrapPage(cursor);
  total.scanned += page.scanned;
  total.rewrapped += page.rewrapped;
  total.sealed += page.sealed;
  total.unavailable += page.unavailable;
  cursor = page.cursor;
} while (cursor);
/** D1 rows re-sealed, per table, and those under a key the Worker no longer has. */
const rows = { faxes: 0, deliveries: 0, external_users: 0, idempotency: 0, streams: 0, objects: 0, unavailable: 0 };
if (!values.prefix) {
  for (const table of /** @type {const} */ (["faxes", "deliveries", "external_users", "idempotency", "streams"])) {
    /** @type {string | null} */
    let after = null;
    do {
      const body = JSON.stringify({ table, cursor: after, limit: 200 });
      /** @type {{ scanned: number, resealed: number, unavailable: number, cursor: string | null, objects?: number }} */
      const page = JSON.parse(await postSignedToWorker(base, "/internal/documents/reseal", /** @type {string} */ (secret), body));
      rows[table] += page.resealed;
      rows.objects += page.objects ?? 0;
      rows.unavailable += page.unavailable;
      after = page.cursor;
    } while (after);
  }
}
const d1 = values.prefix ? "" : `; in D1, ${rows.faxes} faxes and ${rows.deliveries} webhook deliveries and ${rows.external_users} external users, and ${rows.objects} faxes' own storage, ${rows.idempotency} Idempotency-Key replies and ${rows.streams} event-stream log entries, sealed under the current key`;
const summary = `${total.scanned} objects scanned, ${total.rewrapped} re-wrapped under the current key, ${total.sealed} stored before encryption encrypted${d1}`;
if (total.unavailable > 0 || rows.unavailable > 0) {
  console.error(`FAIL: ${summary}; ${total.unavailable} objects and ${rows.unavailable} D1 rows are under a key that is no longer in DOCUMENT_ENCRYPTION_KEY: add it back (after the current key) and run again`);
  process.exit(1);
}
console.log(`OK: ${summary}; the older keys can now be removed from DOCUMENT_ENCRYPTION_KEY`);
