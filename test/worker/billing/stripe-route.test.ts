// Issue 16 point 3, end to end through the Worker: a live key buys a bundle with PAYMENT_PROVIDER=stripe
// (POST /v1/balance/purchases), the exact Checkout Session request reaches Stripe (fetch intercepted at the
// outbound boundary), then Stripe's signed checkout.session.completed lands the credits once.
import { describe, expect, it } from "vitest";
import { api, expectProblem } from "../helpers";
import { Receiver } from "../webhooks/receiver";
import { accountWithCredits, ledgerRows } from "./helpers";
import { deliverStripeEvent, stripeDeployment, stripeSignature, throughWorker } from "./stripe";

const STRIPE_KEY = "sk_test_51RouteLevel0123456789";
const stripeEnv = stripeDeployment(STRIPE_KEY);
const throughStripeWorker = (path: string, init: RequestInit) => throughWorker(stripeEnv, path, init);
const deliver = (payload: string, signature: string) => deliverStripeEvent(stripeEnv, payload, signature);

async function credits(key: string): Promise<number> {
  const res = await api("/v1/balance", { key });
  expect(res.status).toBe(200);
  return (await res.json<{ credits: number }>()).credits;
}

describe("Stripe Checkout through the routes", () => {
  it("POST /v1/balance/purchases opens the session Stripe expects; its signed completion books the credits once", async () => {
    const account = await accountWithCredits("live", 0);
    const stripe = new Receiver("api.stripe.com");
    stripe.answer = () => Response.json({ id: "cs_test_route01", object: "checkout.session", url: "https://checkout.stripe.com/c/pay/cs_test_route01", payment_status: "unpaid" });

    const res = await throughStripeWorker("/v1/balance/purchases", {
      method: "POST",
      headers: { authorization: `Bearer ${account.key}`, "content-type": "application/json", "idempotency-key": "buy-500-once" },
      body: JSON.stringify({ bundle: "credits_500" }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    const purchase = JSON.parse(text) as { id: string; status: string; provider: string; checkout_url: string };
    expect(purchase).toMatchObject({ status: "pending", provider: "stripe", checkout_url: "https://checkout.stripe.com/c/pay/cs_test_route01", credits: 500, price: 4500 });

    expect(stripe.requests).toHaveLength(1);
    const sent = stripe.requests[0]!;
    expect([sent.method, sent.url]).toEqual(["POST", "https://api.stripe.com/v1/checkout/sessions"]);
    expect(sent.headers).toEqual({
      authorization: `Bearer ${STRIPE_KEY}`,
      "content-type": "application/x-www-form-urlencoded",
      // Stripe's own idempotency: a retried call for this purchase opens the same session.
      "idempotency-key": purchase.id,
    });
    expect(sent.body).toBe(
      [
        "mode=payment",
        `client_reference_id=${purchase.id}`,
        `success_url=${encodeURIComponent(`https://fax.example.com/portal/billing?purchase=${purchase.id}&checkout=done`)}`,
        `cancel_url=${encodeURIComponent(`https://fax.example.com/portal/billing?purchase=${purchase.id}&checkout=canceled`)}`,
        "line_items%5B0%5D%5Bquantity%5D=1",
        "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd",
        "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=4500",
        "line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=500+fax+credits+%28%2445.00%29",
        `metadata%5Bpurchase_id%5D=${purchase.id}`,
        `metadata%5Baccount_id%5D=${account.accountId}`,
      ].join("&"),
    );
    expect(await credits(account.key)).toBe(0);

    // The event as Stripe sends it: https://docs.stripe.com/api/events/object, data.object a Checkout Session.
    const created = Math.floor(Date.now() / 1000);
    const payload = JSON.stringify(
      {
        id: "evt_1RouteCompleted",
        object: "event",
        api_version: "2025-09-30.clover",
        created,
        type: "checkout.session.completed",
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: {
          object: {
            id: "cs_test_route01",
            object: "checkout.session",
            mode: "payment",
            status: "complete",
            payment_status: "paid",
            client_reference_id: purchase.id,
            amount_subtotal: 4500,
            amount_total: 4500,
            currency: "usd",
            metadata: { purchase_id: purchase.id, account_id: account.accountId },
            payment_intent: "pi_3RouteLevel",
          },
        },
      },
      null,
      2,
    );
    const first = await deliver(payload, stripeSignature(payload, created));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true });
    expect(await credits(account.key)).toBe(500);

    // Replays: Stripe's own retry of the event books nothing; the same bytes after the tolerance are refused.
    expect((await deliver(payload, stripeSignature(payload))).status).toBe(200);
    await expectProblem(await deliver(payload, stripeSignature(payload, created - 301)), 400, "billing.signature_invalid");
    expect(await credits(account.key)).toBe(500);
    expect((await ledgerRows(account.accountId, "live")).filter((r) => r.kind === "purchase").map((r) => [r.amount, r.balance_after])).toEqual([[500, 500]]);
    expect(stripe.requests).toHaveLength(1);

    // The same Idempotency-Key on our API replays the stored answer: no second purchase, no second session.
    const again = await throughStripeWorker("/v1/balance/purchases", {
      method: "POST",
      headers: { authorization: `Bearer ${account.key}`, "content-type": "application/json", "idempotency-key": "buy-500-once" },
      body: JSON.stringify({ bundle: "credits_500" }),
    });
    expect(again.status).toBe(201);
    expect((await again.json<{ id: string }>()).id).toBe(purchase.id);
    expect(stripe.requests).toHaveLength(1);
  });
});
