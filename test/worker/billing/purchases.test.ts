// Issue 16 point 3: the balance, bundles, purchases (test, manual, Stripe) and the transactions list.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BUNDLES, TEST_STARTING_CREDITS } from "../../../src/billing/prices";
import { startPurchase } from "../../../src/billing/purchases";
import { signedHeaders } from "../../../src/lib/signature";
import { api, expectProblem } from "../helpers";
import { auditLines } from "../audit/helpers";
import { Receiver } from "../webhooks/receiver";
import { accountWithCredits } from "./helpers";
import { stripeSignature } from "./stripe";

async function balance(key: string): Promise<{ credits: number; low_balance_threshold: number }> {
  const res = await api("/v1/balance", { key });
  expect(res.status).toBe(200);
  return res.json();
}

async function operator(body: unknown, secret = env.BILLING_ADMIN_SECRET!, id = `msg_${crypto.randomUUID()}`): Promise<Response> {
  const text = JSON.stringify(body);
  return api("/internal/billing/credits", { method: "POST", body: text, headers: { "content-type": "application/json", ...(await signedHeaders([secret], id, text)) } });
}

function stripeWebhook(payload: string, signature: string): Promise<Response> {
  return api("/webhooks/stripe", { method: "POST", body: payload, headers: { "content-type": "application/json", "stripe-signature": signature } });
}

describe("balance and purchases", () => {
  it("shows the balance of the key's mode, the bundles, and a test purchase that completes at once", async () => {
    const test = await accountWithCredits("test", TEST_STARTING_CREDITS);
    expect(await balance(test.key)).toEqual({ credits: TEST_STARTING_CREDITS, low_balance_threshold: 10 });
    const live = await accountWithCredits("live", 0);
    expect(await balance(live.key)).toEqual({ credits: 0, low_balance_threshold: 10 });

    const bundles = await (await api("/v1/balance/bundles", { key: test.key })).json<{ data: { id: string; credits: number; price: number }[] }>();
    expect(bundles.data.map((b) => [b.id, b.credits, b.price])).toEqual([
      ["credits_100", 100, 1000],
      ["credits_500", 500, 4500],
      ["credits_2000", 2000, 16000],
    ]);

    const res = await api("/v1/balance/purchases", { method: "POST", key: test.key, json: { bundle: "credits_500" } });
    expect(res.status).toBe(201);
    const purchase = await res.json<Record<string, unknown>>();
    expect(purchase).toMatchObject({ bundle: "credits_500", credits: 500, price: 4500, currency: "usd", status: "completed", provider: "test", checkout_url: null });
    expect(purchase.id).toMatch(/^pur_/);
    expect((await balance(test.key)).credits).toBe(TEST_STARTING_CREDITS + 500);
    const [line] = await auditLines(test.accountId, 1);
    expect(JSON.parse(line!)).toMatchObject({ action: "credits.purchase", target: { type: "credit_purchase", id: purchase.id }, actor: { type: "api_key", id: test.keyId } });
  });

  it("refuses an unknown bundle and unknown fields", async () => {
    const account = await accountWithCredits("test", 100);
    await expectProblem(await api("/v1/balance/purchases", { method: "POST", key: account.key, json: { bundle: "credits_7" } }), 422, "billing.bundle_not_found");
    await expectProblem(await api("/v1/balance/purchases", { method: "POST", key: account.key, json: { bundle: "credits_100", credits: 5 } }), 422, "request.invalid");
  });

  it("lists every transaction newest first, in cursor pages", async () => {
    const account = await accountWithCredits("test", TEST_STARTING_CREDITS);
    for (const bundle of ["credits_100", "credits_500", "credits_100"]) {
      expect((await api("/v1/balance/purchases", { method: "POST", key: account.key, json: { bundle } })).status).toBe(201);
    }
    const seen: { type: string; amount: number; balance_after: number }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: typeof seen; has_more: boolean; next_cursor: string | null } = await (
        await api(`/v1/balance/transactions?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: account.key })
      ).json();
      seen.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.map((t) => [t.type, t.amount, t.balance_after])).toEqual([
      ["purchase", 100, TEST_STARTING_CREDITS + 700],
      ["purchase", 500, TEST_STARTING_CREDITS + 600],
      ["purchase", 100, TEST_STARTING_CREDITS + 100],
      ["grant", TEST_STARTING_CREDITS, TEST_STARTING_CREDITS],
    ]);
    await expectProblem(await api("/v1/balance/transactions?cursor=nope", { key: account.key }), 400, "request.cursor_invalid");
  });
});

describe("the manual provider: the operator books credits", () => {
  it("a live purchase waits for the operator, who books it once; grants are signed and never booked twice", async () => {
    const account = await accountWithCredits("live", 0);
    const purchase = await (await api("/v1/balance/purchases", { method: "POST", key: account.key, json: { bundle: "credits_100" } })).json<{ id: string; status: string; provider: string; checkout_url: string | null }>();
    expect(purchase).toMatchObject({ status: "pending", provider: "manual", checkout_url: null });
    expect((await balance(account.key)).credits).toBe(0);

    const booked = await operator({ account_id: account.accountId, purchase_id: purchase.id });
    expect(booked.status).toBe(200);
    expect(await booked.json()).toEqual({ purchase_id: purchase.id, status: "completed", credits: 100 });
    expect((await operator({ account_id: account.accountId, purchase_id: purchase.id })).status).toBe(200);
    expect((await balance(account.key)).credits).toBe(100);

    const id = `msg_${crypto.randomUUID()}`;
    expect((await operator({ account_id: account.accountId, credits: 25, description: "Welcome credits" }, undefined, id)).status).toBe(200);
    expect((await operator({ account_id: account.accountId, credits: 25, description: "Welcome credits" }, undefined, id)).status).toBe(200);
    expect((await balance(account.key)).credits).toBe(125);
    // The purchase, then each operator call (a repeat booked nothing, and is recorded as the call it was).
    const actions = (await auditLines(account.accountId, 5)).map((l) => JSON.parse(l) as { action: string; actor: { type: string; id: string } });
    expect(actions.map((a) => [a.action, a.actor.type, a.actor.id])).toEqual([
      ["credits.purchase", "api_key", account.keyId],
      ...Array.from({ length: 4 }, () => ["credits.grant", "system", "operator"]),
    ]);
    await expectProblem(await operator({ account_id: account.accountId, credits: -500 }), 402, "balance.insufficient");
    await expectProblem(await operator({ account_id: account.accountId, credits: 1000 }, "not-the-secret"), 401, "auth.invalid");
    await expectProblem(await operator({ account_id: account.accountId, credits: 5, purchase_id: purchase.id }), 422, "request.invalid");
    expect((await balance(account.key)).credits).toBe(125);
  });
});

describe("the Stripe provider", () => {
  const stripeEnv = { ...env, PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: "sk_test_51Fake0123456789", PUBLIC_URL: "https://fax.example.com" } as Env;

  it("opens a Checkout Session with the exact form-encoded request Stripe's API takes", async () => {
    const account = await accountWithCredits("live", 0);
    const stripe = new Receiver("api.stripe.com");
    stripe.answer = (request) =>
      Response.json({ id: "cs_test_a1B2c3", object: "checkout.session", url: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3", client_reference_id: new URLSearchParams(request.body).get("client_reference_id") });
    const purchase = await startPurchase(stripeEnv, account.accountId, "live", "credits_500");
    expect(purchase).toMatchObject({ provider: "stripe", status: "pending", providerRef: "cs_test_a1B2c3", checkoutUrl: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3" });

    expect(stripe.requests).toHaveLength(1);
    const request = stripe.requests[0]!;
    expect(request.method).toBe("POST");
    expect(request.url).toBe("https://api.stripe.com/v1/checkout/sessions");
    expect(request.headers.authorization).toBe("Bearer sk_test_51Fake0123456789");
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request.headers["idempotency-key"]).toBe(purchase.id);
    // Stripe's bracket notation, percent-encoded as a browser form would send it.
    expect(request.body).toContain("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=4500");
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      mode: "payment",
      client_reference_id: purchase.id,
      success_url: `https://fax.example.com/portal/billing?purchase=${purchase.id}&checkout=done`,
      cancel_url: `https://fax.example.com/portal/billing?purchase=${purchase.id}&checkout=canceled`,
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "usd",
      "line_items[0][price_data][unit_amount]": "4500",
      "line_items[0][price_data][product_data][name]": "500 fax credits ($45.00)",
      "metadata[purchase_id]": purchase.id,
      "metadata[account_id]": account.accountId,
    });

    stripe.answer = () => Response.json({ error: { type: "invalid_request_error", message: "No such price" } }, { status: 400 });
    await expect(startPurchase(stripeEnv, account.accountId, "live", "credits_100")).rejects.toMatchObject({ code: "billing.provider_failed" });
  });

  it("books checkout.session.completed once; tampered, replayed (old) and unsigned events are refused", async () => {
    const account = await accountWithCredits("live", 0);
    const stripe = new Receiver("api.stripe.com");
    stripe.answer = () => Response.json({ id: "cs_test_paid01", url: "https://checkout.stripe.com/c/pay/cs_test_paid01" });
    const purchase = await startPurchase(stripeEnv, account.accountId, "live", "credits_2000");
    const event = {
      id: "evt_1PaidCheckout",
      object: "event",
      type: "checkout.session.completed",
      data: { object: { id: "cs_test_paid01", object: "checkout.session", client_reference_id: purchase.id, payment_status: "paid", amount_total: 16000, currency: "usd", metadata: { purchase_id: purchase.id } } },
    };
    const payload = JSON.stringify(event);

    const tampered = payload.replace('"amount_total":16000', '"amount_total":1');
    await expectProblem(await stripeWebhook(tampered, stripeSignature(payload)), 400, "billing.signature_invalid");
    const old = Math.floor(Date.now() / 1000) - 301;
    await expectProblem(await stripeWebhook(payload, stripeSignature(payload, old)), 400, "billing.signature_invalid");
    await expectProblem(await stripeWebhook(payload, ""), 400, "billing.signature_invalid");
    await expectProblem(await stripeWebhook(payload, stripeSignature(payload, undefined, "whsec_someone_else")), 400, "billing.signature_invalid");
    expect((await balance(account.key)).credits).toBe(0);

    // Stripe may list several v1 signatures (secret rolling) and a v0; one good v1 is enough.
    const good = stripeSignature(payload);
    const res = await stripeWebhook(payload, `${good},v1=${"0".repeat(64)},v0=${"1".repeat(64)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true });
    expect((await balance(account.key)).credits).toBe(2000);
    // Stripe retries deliveries: the same event again books nothing.
    expect((await stripeWebhook(payload, stripeSignature(payload))).status).toBe(200);
    expect((await balance(account.key)).credits).toBe(2000);

    // A session that does not match what was recorded (another amount) books nothing either.
    stripe.answer = () => Response.json({ id: "cs_test_other02", url: "https://checkout.stripe.com/c/pay/cs_test_other02" });
    const other = await startPurchase(stripeEnv, account.accountId, "live", "credits_100");
    const cheap = JSON.stringify({ ...event, id: "evt_2", data: { object: { ...event.data.object, id: "cs_test_other02", client_reference_id: other.id, amount_total: 1 } } });
    expect((await stripeWebhook(cheap, stripeSignature(cheap))).status).toBe(200);
    expect((await balance(account.key)).credits).toBe(2000);
  });
});
