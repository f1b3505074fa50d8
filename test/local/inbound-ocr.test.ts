/**
 * `npm start` end to end (issue 14, "How it is shown"): a live fax of a labelled form goes over the loopback gateway
 * (SIP/T.38 on 127.0.0.1, real time) to a number with an extraction schema, the local OCR service reads it, and
 * fax.received and fax.extracted reach a webhook receiver, both verified with standardwebhooks.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORM_SCHEMA, makeFaxForm } from "../fixtures/fax-forms.js";
import { Account, sleep, startWebhookReceiver, type WebhookReceiver } from "../interop/gateway/lib.js";
import { createKey, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server.js";

const run = promisify(execFile);

/** A live key whose account has credits to send (live accounts start at zero; the operator grants them). */
async function fundedLiveKey(stateDir: string, url: string): Promise<string> {
  const env = { ...process.env, EDGEFAX_STATE_DIR: stateDir };
  const created = JSON.parse((await run(process.execPath, ["scripts/key-create.mjs", "--live", "--json", "--rate-limit", "100000"], { env })).stdout) as { key: string; account_id: string };
  await run(process.execPath, ["scripts/credits-grant.mjs", "--account", created.account_id, "--credits", "10", "--url", url], { env });
  return created.key;
}

describe("npm start: a received fax reads itself", () => {
  let stateDir: string;
  let platform: LocalPlatform | undefined;
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    stateDir = await makeStateDir("inbound");
    hooks = await startWebhookReceiver();
    platform = await startLocalPlatform({ stateDir });
  });

  afterAll(async () => {
    await platform?.stop();
    await hooks?.close();
    if (stateDir) await removeStateDir(stateDir);
  }, 60_000);

  it("OCRs a live fax of a form, extracts the number's schema, and sends both events signed", async () => {
    const sender = new Account(platform!.url, await fundedLiveKey(stateDir, platform!.url));
    const receiver = new Account(platform!.url, await createKey(stateDir, { live: true, rateLimit: 100_000 }));
    await sender.json("/v1/numbers", { json: {} }, 201);
    const number = await receiver.json<{ id: string; number: string }>("/v1/numbers", { json: {} }, 201);
    await receiver.json(`/v1/numbers/${number.id}/extraction-schema`, { method: "PUT", json: { extraction_schema: FORM_SCHEMA } });
    hooks.addSecret((await receiver.json<{ secret: string }>("/v1/webhooks", { json: { url: hooks.url, event_types: ["fax.received", "fax.extracted"] } }, 201)).secret);

    const form = await makeFaxForm(21, "fine");
    const sent = await sender.json<{ id: string }>("/v1/faxes", { json: { to: number.number, documents: [{ content: Buffer.from(form.pdf).toString("base64"), content_type: "application/pdf" }], options: { max_attempts: 1 } } }, 202);
    for (let i = 0; i < 900 && !hooks.hooks.some((h) => h.type === "fax.extracted"); i++) await sleep(100);
    const delivered = await sender.waitFax(sent.id, (f) => ["delivered", "failed"].includes(f.status), 10_000);
    expect(delivered.status).toBe("delivered");

    const received = hooks.hooks.find((h) => h.type === "fax.received");
    const extracted = hooks.hooks.find((h) => h.type === "fax.extracted");
    expect(received?.verified).toBe(true);
    expect(extracted?.verified).toBe(true);
    expect(received!.eventData).toMatchObject({ ocr_status: "done", page_count: 1, to: number.number, document_url: expect.stringContaining("/files/") });
    expect(String(received!.eventData.ocr_text)).toContain(String(form.fields.claim_number));
    expect(extracted!.eventData.extracted_data).toEqual(form.fields);
    const callEnd = Date.parse(delivered.completed_at!);
    console.log(`fax.received ${((received!.at - callEnd) / 1000).toFixed(2)} s and fax.extracted ${((extracted!.at - callEnd) / 1000).toFixed(2)} s after the call ended`);
  }, 150_000);
});
