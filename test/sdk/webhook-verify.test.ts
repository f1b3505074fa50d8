// webhooks.verify against the Standard Webhooks reference library (npm `standardwebhooks`) and against what the
// platform itself signs (src/lib/signature.ts): accepts genuine messages, refuses tampered, stale, future-dated,
// wrongly keyed and malformed ones.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { Edgefax, signedWebhookHeaders, verifyWebhook, WebhookVerificationError } from "../../sdk/src/index";
import { randomToken } from "../../src/lib/crypto";
import { newWebhookSecret } from "../../src/webhooks/secrets";
import { signedHeaders } from "../../src/lib/signature";

const secret = newWebhookSecret();
const other = newWebhookSecret();
const body = JSON.stringify({ id: "evt_01jd8x6r3q5v7w9y0a2b4c6d8e", type: "fax.delivered", created_at: "2026-11-23T15:00:00.000Z", data: { fax: { id: "fax_1" } } });
const client = new Edgefax({});

function referenceHeaders(key: string, payload: string, at = new Date()) {
  const id = "msg_01jd8x6r3q5v7w9y0a2b4c6d8e";
  return { "webhook-id": id, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": new Webhook(key).sign(id, at, payload) };
}

describe("webhooks.verify", () => {
  it("accepts what the reference library signs, as a string, bytes, a Headers object or mixed-case keys", async () => {
    const headers = referenceHeaders(secret, body);
    expect((await client.webhooks.verify(body, headers, secret)).type).toBe("fax.delivered");
    expect((await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret)).id).toBe("evt_01jd8x6r3q5v7w9y0a2b4c6d8e");
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    await expect(verifyWebhook(body, shouted, secret)).resolves.toBeTruthy();
  });

  it("accepts what the platform signs, with either of two secrets during a rotation", async () => {
    const headers = await signedHeaders([other, secret], "msg_rotating", body);
    await expect(verifyWebhook(body, headers, secret)).resolves.toMatchObject({ type: "fax.delivered" });
    await expect(verifyWebhook(body, headers, other)).resolves.toMatchObject({ type: "fax.delivered" });
  });

  it("signs what the reference library verifies (the CLI's forwarder re-signs with it)", async () => {
    const headers = await signedWebhookHeaders(secret, "evt_forwarded", body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(other).verify(body, headers)).toThrow();
  });

  it("refuses a tampered body, another secret, a stale or future timestamp, and missing or malformed headers", async () => {
    const headers = referenceHeaders(secret, body);
    const refused = (b: string, h: Record<string, string>, s = secret) => expect(verifyWebhook(b, h, s)).rejects.toBeInstanceOf(WebhookVerificationError);
    await refused(body.replace("delivered", "failed"), headers);
    await refused(`${body} `, headers);
    await refused(body, headers, other);
    await refused(body, referenceHeaders(secret, body, new Date(Date.now() - 6 * 60_000)));
    await refused(body, referenceHeaders(secret, body, new Date(Date.now() + 6 * 60_000)));
    await refused(body, { ...headers, "webhook-id": "msg_other" });
    await refused(body, { ...headers, "webhook-signature": "v1,not base64!" });
    await refused(body, { ...headers, "webhook-signature": headers["webhook-signature"].replace("v1,", "v2,") });
    await refused(body, { ...headers, "webhook-timestamp": "soon" });
    const { "webhook-signature": _dropped, ...unsigned } = headers;
    await refused(body, unsigned);
  });

  it("agrees with the reference library on random bodies and clock skews", async () => {
    for (let i = 0; i < 40; i++) {
      const payload = JSON.stringify({ id: `evt_${i}`, n: Math.random(), text: randomToken("", 8 + i) });
      const skew = Math.round((Math.random() - 0.5) * 2 * 7 * 60);
      const headers = referenceHeaders(secret, payload, new Date(Date.now() + skew * 1000));
      const reference = (() => {
        try {
          new Webhook(secret).verify(payload, headers);
          return true;
        } catch {
          return false;
        }
      })();
      const ours = await verifyWebhook(payload, headers, secret).then(() => true, () => false);
      // Both use a five-minute tolerance; skews within a second of the edge are left out (the clocks read apart).
      if (Math.abs(Math.abs(skew) - 300) > 1) expect([i, skew, ours]).toEqual([i, skew, reference]);
    }
  });
});
