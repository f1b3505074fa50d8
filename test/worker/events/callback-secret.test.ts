// The callback secret (issue 13 point 2): it signs deliveries to a fax's own webhook_url, is created
// with the account and shown once beside the key, so the very first deliveries can be verified; an
// account made without one gets it on its first GET of /v1/webhooks/callback-secret, once.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createAccountWithKey } from "../../../src/db/account-store";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { newReceiver, verified, waitFor } from "../webhooks/receiver";

interface SecretInfo {
  exists: boolean;
  secret: string | null;
  created_at: string | null;
}

const secretInfo = async (key: string) => {
  const res = await api("/v1/webhooks/callback-secret", { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.json<SecretInfo>();
};

async function faxWithCallback(key: string) {
  const receiver = newReceiver();
  // An account made by createAccountWithKey alone has no number to send from yet.
  if ((await (await api("/v1/numbers", { key })).json<{ data: unknown[] }>()).data.length === 0) {
    expect((await api("/v1/numbers", { method: "POST", key, json: {} })).status).toBe(201);
  }
  const fax = await (await sendFax(key, { to: "+15550100001", documents: [await pdfDocument()], webhook_url: receiver.url("/callback") })).json<{ id: string }>();
  await waitForFinal(key, fax.id);
  await waitFor("the fax's callbacks", () => receiver.requests.length >= 4);
  return receiver.requests;
}

describe("callback secret", () => {
  it("comes with the account and verifies the first deliveries; it is not shown again", async () => {
    const account = await createTestAccount();
    expect(account.callbackSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const requests = await faxWithCallback(account.key);
    for (const request of requests) expect(verified(account.callbackSecret, request).type).toMatch(/^fax\./);
    const info = await secretInfo(account.key);
    expect(info).toMatchObject({ exists: true, secret: null });
    expect(JSON.stringify(info)).not.toContain(account.callbackSecret.slice(6));
    // Stored encrypted, never in the clear.
    const row = await env.DB.prepare("SELECT callback_secret, revealed_at FROM account_secrets WHERE account_id = ?").bind(account.accountId).first<{ callback_secret: string; revealed_at: string | null }>();
    expect(row!.callback_secret).toMatch(/^v1:/);
    expect(row!.callback_secret).not.toContain(account.callbackSecret.slice(6));
    expect(row!.revealed_at).not.toBeNull();
  });

  it("is made for an account without one on its first GET and shown that once", async () => {
    const legacy = await createAccountWithKey(env.DB, { name: "Before secrets", mode: "test" });
    expect(legacy.callbackSecret).toBeUndefined();
    const first = await secretInfo(legacy.key);
    expect(first.exists).toBe(true);
    expect(first.secret).toMatch(/^whsec_/);
    expect(await secretInfo(legacy.key)).toMatchObject({ exists: true, secret: null, created_at: first.created_at });
    const requests = await faxWithCallback(legacy.key);
    for (const request of requests) verified(first.secret!, request);
  });

  it("reveals, once, a secret that a delivery created before anyone saw it", async () => {
    const legacy = await createAccountWithKey(env.DB, { name: "Before secrets", mode: "test" });
    const requests = await faxWithCallback(legacy.key);
    const answers = await Promise.all([secretInfo(legacy.key), secretInfo(legacy.key)]);
    const shown = answers.map((a) => a.secret).filter((s): s is string => s !== null);
    expect(shown).toHaveLength(1);
    for (const request of requests) verified(shown[0]!, request);
  });
});
