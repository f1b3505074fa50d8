// Issue 16 point 5: a closed statement becomes paid (open → paid, past_due → paid), once: recorded by the
// operator (manual), paid through Stripe Checkout (through the routes, PAYMENT_PROVIDER=stripe in a per-test
// env, Stripe's requests checked and its webhook signed), or at once in test mode.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signedHeaders } from "../../../src/lib/signature";
import { auditLines } from "../audit/helpers";
import { api, expectProblem } from "../helpers";
import { Receiver } from "../webhooks/receiver";
import { accountWithCredits, closedStatement } from "./helpers";
import { deliverStripeEvent, stripeDeployment, stripeSignature, throughWorker } from "./stripe";

interface InvoiceView {
  id: string;
  status: string;
  total: number;
  amount_paid: number;
  amount_due: number;
  paid_at: string | null;
}

async function invoice(key: string, id: string): Promise<InvoiceView> {
  const res = await api(`/v1/invoices/${id}`, { key });
  expect(res.status).toBe(200);
  return res.json();
}

async function paidEvents(accountId: string): Promise<{ mode: string; data: { invoice: { id: string; status: string; amount_due: number }; payment: { provider: string; amount: number } } }[]> {
  const { results } = await env.DB.prepare("SELECT mode, data FROM account_events WHERE account_id = ? AND type = 'invoice.paid' ORDER BY id").bind(accountId).all<{ mode: string; data: string }>();
  return results.map((r) => ({ mode: r.mode, data: JSON.parse(r.data) }));
}

async function payments(accountId: string): Promise<{ provider: string; status: string; amount: number; note: string | null }[]> {
  const { results } = await env.DB.prepare("SELECT provider, status, amount, note FROM invoice_payments WHERE account_id = ? ORDER BY created_at, id").bind(accountId).all();
  return results as never;
}

function markPaid(body: unknown, secret = env.BILLING_ADMIN_SECRET!): Promise<Response> {
  const text = JSON.stringify(body);
  return signedHeaders([secret], `msg_${crypto.randomUUID()}`, text).then((headers) =>
    api("/internal/billing/invoices/paid", { method: "POST", body: text, headers: { "content-type": "application/json", ...headers } }),
  );
}

const auditActions = async (accountId: string, count: number) =>
  (await auditLines(accountId, count)).map((l) => JSON.parse(l) as { action: string; actor: { type: string; id: string }; target: { type: string; id: string } });

describe("the manual provider: the operator records a statement's payment", () => {
  it("open and past_due become paid once; a repeat changes and emits nothing; the API refuses to take the money itself", async () => {
    const account = await accountWithCredits("live", 0);
    const october = await closedStatement(account.accountId, "live", "2026-10", "open");
    const september = await closedStatement(account.accountId, "live", "2026-09", "past_due");

    await expectProblem(await api(`/v1/invoices/${october}/pay`, { method: "POST", key: account.key }), 409, "billing.payment_offline");
    await expectProblem(await api("/v1/invoices/upcoming/pay", { method: "POST", key: account.key }), 409, "billing.invoice_not_payable");

    const res = await markPaid({ account_id: account.accountId, invoice_id: october, note: "Wire 2026-11-03 ref 7781" });
    expect(res.status).toBe(200);
    const first = await res.json<{ invoice_id: string; status: string; amount_paid: number; paid_at: string; changed: boolean }>();
    expect(first).toMatchObject({ invoice_id: october, status: "paid", amount_paid: 750, changed: true });
    expect(await invoice(account.key, october)).toMatchObject({ status: "paid", amount_paid: 750, amount_due: 0, paid_at: first.paid_at });

    const again = await (await markPaid({ account_id: account.accountId, invoice_id: october })).json<{ changed: boolean; paid_at: string }>();
    expect(again).toMatchObject({ changed: false, paid_at: first.paid_at });

    expect((await (await markPaid({ account_id: account.accountId, invoice_id: september })).json<{ status: string; changed: boolean }>())).toMatchObject({ status: "paid", changed: true });
    expect((await invoice(account.key, september)).status).toBe("paid");

    const events = await paidEvents(account.accountId);
    expect(events.map((e) => [e.mode, e.data.invoice.id, e.data.invoice.status, e.data.invoice.amount_due, e.data.payment.provider, e.data.payment.amount])).toEqual([
      ["live", october, "paid", 0, "manual", 750],
      ["live", september, "paid", 0, "manual", 750],
    ]);
    expect(await payments(account.accountId)).toEqual([
      { provider: "manual", status: "paid", amount: 750, note: "Wire 2026-11-03 ref 7781" },
      { provider: "manual", status: "paid", amount: 750, note: null },
    ]);
    expect((await auditActions(account.accountId, 2)).map((a) => [a.action, a.actor.type, a.actor.id, a.target.type, a.target.id])).toEqual([
      ["invoice.pay", "system", "operator", "invoice", october],
      ["invoice.pay", "system", "operator", "invoice", september],
    ]);

    await expectProblem(await markPaid({ account_id: account.accountId, invoice_id: "inv_01jd8x6r3q5v7w9y0a2b4c6d8e" }), 404, "billing.invoice_not_found");
    const other = await accountWithCredits("live", 0);
    await expectProblem(await markPaid({ account_id: other.accountId, invoice_id: october }), 404, "billing.invoice_not_found");
    await expectProblem(await markPaid({ account_id: account.accountId, invoice_id: october, mode: "test" }), 404, "billing.invoice_not_found");
    await expectProblem(await markPaid({ account_id: account.accountId, invoice_id: october, amount: 1 }), 422, "request.invalid");
    await expectProblem(await markPaid({ account_id: account.accountId, invoice_id: september }, "not-the-secret"), 401, "auth.invalid");
  });

  it("a test key pays a test statement at once, once", async () => {
    const account = await accountWithCredits("test", 100);
    const id = await closedStatement(account.accountId, "test", "2026-10", "open");
    const res = await api(`/v1/invoices/${id}/pay`, { method: "POST", key: account.key });
    expect(res.status).toBe(200);
    const paid = await res.json<{ invoice: InvoiceView; checkout_url: string | null }>();
    expect(paid).toMatchObject({ invoice: { id, status: "paid", amount_due: 0 }, checkout_url: null });
    const again = await (await api(`/v1/invoices/${id}/pay`, { method: "POST", key: account.key })).json<{ invoice: InvoiceView }>();
    expect(again.invoice.paid_at).toBe(paid.invoice.paid_at);
    expect((await paidEvents(account.accountId)).map((e) => [e.mode, e.data.payment.provider])).toEqual([["test", "test"]]);
    expect((await auditActions(account.accountId, 1)).map((a) => [a.action, a.actor.type, a.actor.id])).toEqual([["invoice.pay", "api_key", account.keyId]]);
  });
});

describe("the Stripe provider: a statement paid through Checkout", () => {
  const STRIPE_KEY = "sk_test_51Statements0123456789";
  const stripeEnv = stripeDeployment(STRIPE_KEY);
  const deliver = (payload: string, signature?: string) => deliverStripeEvent(stripeEnv, payload, signature);

  it("pay opens one Checkout Session for the amount due; Stripe's signed completion marks the statement paid, once", async () => {
    const account = await accountWithCredits("live", 0);
    const id = await closedStatement(account.accountId, "live", "2026-10", "past_due");
    const stripe = new Receiver("api.stripe.com");
    stripe.answer = () => Response.json({ id: "cs_test_stmt01", object: "checkout.session", url: "https://checkout.stripe.com/c/pay/cs_test_stmt01" });
    const pay = () => throughWorker(stripeEnv, `/v1/invoices/${id}/pay`, { method: "POST", headers: { authorization: `Bearer ${account.key}` } });

    const res = await pay();
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ invoice: { id, status: "past_due", amount_due: 750 }, checkout_url: "https://checkout.stripe.com/c/pay/cs_test_stmt01" });
    expect(stripe.requests).toHaveLength(1);
    const sent = stripe.requests[0]!;
    expect([sent.method, sent.url]).toEqual(["POST", "https://api.stripe.com/v1/checkout/sessions"]);
    const [payment] = (await env.DB.prepare("SELECT id FROM invoice_payments WHERE account_id = ?").bind(account.accountId).all<{ id: string }>()).results;
    expect(payment!.id).toMatch(/^pay_/);
    expect(sent.headers).toEqual({ authorization: `Bearer ${STRIPE_KEY}`, "content-type": "application/x-www-form-urlencoded", "idempotency-key": payment!.id });
    expect(sent.body).toBe(
      [
        "mode=payment",
        `client_reference_id=${payment!.id}`,
        `success_url=${encodeURIComponent(`https://fax.example.com/portal/billing?invoice=${id}&checkout=done`)}`,
        `cancel_url=${encodeURIComponent(`https://fax.example.com/portal/billing?invoice=${id}&checkout=canceled`)}`,
        "line_items%5B0%5D%5Bquantity%5D=1",
        "line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=usd",
        "line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=750",
        "line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname%5D=Fax+statement+2026-10+%28%247.50%29",
        `metadata%5Binvoice_id%5D=${id}`,
        `metadata%5Bpayment_id%5D=${payment!.id}`,
        `metadata%5Baccount_id%5D=${account.accountId}`,
      ].join("&"),
    );
    // Asked again while the session is open: the same session, nothing new at Stripe.
    expect((await (await pay()).json<{ checkout_url: string }>()).checkout_url).toBe("https://checkout.stripe.com/c/pay/cs_test_stmt01");
    expect(stripe.requests).toHaveLength(1);

    const session = {
      id: "cs_test_stmt01",
      object: "checkout.session",
      mode: "payment",
      status: "complete",
      payment_status: "paid",
      client_reference_id: payment!.id,
      amount_total: 750,
      currency: "usd",
      metadata: { invoice_id: id, payment_id: payment!.id, account_id: account.accountId },
    };
    const event = (object: object, eventId: string) =>
      JSON.stringify({ id: eventId, object: "event", api_version: "2025-09-30.clover", created: Math.floor(Date.now() / 1000), type: "checkout.session.completed", data: { object } });

    // Not paid yet (an asynchronous method), or not the amount recorded: the statement stays due.
    expect((await deliver(event({ ...session, payment_status: "unpaid" }, "evt_1Unpaid"))).status).toBe(200);
    expect((await deliver(event({ ...session, amount_total: 75 }, "evt_1Cheap"))).status).toBe(200);
    const tamperedFrom = event(session, "evt_1Tampered");
    await expectProblem(await deliver(tamperedFrom.replace('"amount_total":750', '"amount_total":7'), stripeSignature(tamperedFrom)), 400, "billing.signature_invalid");
    expect((await invoice(account.key, id)).status).toBe("past_due");

    const completed = event(session, "evt_1StatementPaid");
    const delivered = await deliver(completed);
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ received: true });
    const paid = await invoice(account.key, id);
    expect(paid).toMatchObject({ status: "paid", amount_paid: 750, amount_due: 0 });
    // Stripe's retry of the event changes nothing; the same bytes after the tolerance are refused.
    expect((await deliver(completed)).status).toBe(200);
    await expectProblem(await deliver(completed, stripeSignature(completed, Math.floor(Date.now() / 1000) - 301)), 400, "billing.signature_invalid");
    expect((await invoice(account.key, id)).paid_at).toBe(paid.paid_at);
    expect((await paidEvents(account.accountId)).map((e) => [e.data.invoice.id, e.data.payment.provider, e.data.payment.amount])).toEqual([[id, "stripe", 750]]);
    expect(await payments(account.accountId)).toEqual([{ provider: "stripe", status: "paid", amount: 750, note: null }]);
    expect((await auditActions(account.accountId, 1)).map((a) => [a.action, a.actor.type, a.actor.id, a.target.id])).toEqual([["invoice.pay", "system", "stripe", id]]);

    // Paid: pay answers the statement as it is, with nothing to pay.
    expect(await (await pay()).json()).toMatchObject({ invoice: { status: "paid" }, checkout_url: null });
    expect(stripe.requests).toHaveLength(1);
  });
});
