/**
 * Billing's calls from outside the public API (issue 16 point 3), not under /v1 (no API key):
 * - POST /webhooks/stripe: Stripe's events, verified with the Stripe-Signature scheme; `checkout.session.completed`
 *   (and `checkout.session.async_payment_succeeded`) book the purchase's credits, once.
 *   A session opened for a statement (metadata.invoice_id) marks that statement paid, once.
 * - POST /internal/billing/credits: the operator grants credits or books a paid purchase (`npm run credits:grant`),
 *   signed like the gateway's messages (Standard Webhooks) with BILLING_ADMIN_SECRET; the message id makes a
 *   repeat harmless.
 * - POST /internal/billing/invoices/paid: the operator records that a statement was paid (`npm run invoice:paid`),
 *   signed the same way; a statement paid already stays as it was.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { ledger } from "../billing/ledger";
import { checkoutCompleted, completePurchase, type CheckoutSession } from "../billing/purchases";
import { verifyStripeSignature } from "../billing/payments/stripe";
import { recordManualPayment, statementCheckoutCompleted } from "../billing/statement-payments";
import { database } from "../db/client";
import { findPurchase } from "../db/credit-store";
import { ApiError } from "../errors/api-error";
import { log } from "../lib/log";
import { verifySignedHeaders } from "../lib/signature";
import { auditAs } from "./audit";
import type { App, AppEnv } from "./context";
import { invalid, parseJsonText } from "./validation";

export const BILLING_PATHS = { stripe: "/webhooks/stripe", credits: "/internal/billing/credits", invoicePaid: "/internal/billing/invoices/paid" } as const;

const STRIPE_COMPLETIONS = new Set(["checkout.session.completed", "checkout.session.async_payment_succeeded"]);

export const OperatorCreditSchema = z
  .object({
    account_id: z.string().min(1).max(100),
    mode: z.enum(["test", "live"]).default("live"),
    /** Credits to add (a grant) or, negative, to take back (an adjustment). Ignored with purchase_id. */
    credits: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    /** A pending purchase that was paid outside any provider: its bundle's credits are booked. */
    purchase_id: z.string().max(100).optional(),
    description: z.string().max(200).optional(),
  })
  .strict()
  .refine((b) => (b.credits !== undefined && b.credits !== 0) !== (b.purchase_id !== undefined), { message: "give either credits (not 0) or purchase_id" });

export const OperatorInvoicePaidSchema = z
  .object({
    account_id: z.string().min(1).max(100),
    mode: z.enum(["test", "live"]).default("live"),
    invoice_id: z.string().min(1).max(100),
    /** How the money came (a bank transfer's reference), kept with the payment. */
    note: z.string().max(200).optional(),
  })
  .strict();

/** The operator's signed body (Standard Webhooks with BILLING_ADMIN_SECRET), parsed with `schema`. */
async function operatorOrder<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const body = await c.req.text();
  const secret = c.env.BILLING_ADMIN_SECRET;
  if (!secret || !(await verifySignedHeaders(secret, (name) => c.req.header(name), body))) {
    throw new ApiError("auth.invalid", { detail: "The operator signature is missing, wrong or too old (BILLING_ADMIN_SECRET)." });
  }
  const parsed = schema.safeParse(parseJsonText(body));
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

export function registerBillingCallbacks(app: App): void {
  app.post(BILLING_PATHS.stripe, async (c) => {
    const body = await c.req.text();
    const secret = c.env.STRIPE_WEBHOOK_SECRET;
    if (!secret || !(await verifyStripeSignature(secret, c.req.header("stripe-signature"), body))) throw new ApiError("billing.signature_invalid");
    const event = parseJsonText(body) as { id?: string; type?: string; data?: { object?: CheckoutSession } };
    if (!event.type || !STRIPE_COMPLETIONS.has(event.type) || !event.data?.object) return c.json({ received: true }, 200);
    const session = event.data.object;
    if (session.metadata?.invoice_id) {
      const { outcome, statement } = await statementCheckoutCompleted(c.env, session);
      if (statement?.changed) auditAs(c, statement.invoice.accountId, { type: "system", id: "stripe" }, "invoice.pay", { type: "invoice", id: statement.invoice.id });
      // already_paid: this session's money paid nothing (the statement was paid another way): the operator refunds it in Stripe.
      if (outcome !== "paid" && outcome !== "repeat") log.warn("stripe checkout paid no statement", { outcome, stripe_event_id: event.id ?? null, checkout_session: session.id });
      return c.json({ received: true }, 200);
    }
    const outcome = await checkoutCompleted(c.env, session);
    if (outcome !== "booked") log.warn("stripe checkout not booked", { outcome, stripe_event_id: event.id ?? null });
    return c.json({ received: true }, 200);
  });

  app.post(BILLING_PATHS.invoicePaid, async (c) => {
    const order = await operatorOrder(c, OperatorInvoicePaidSchema);
    const paid = await recordManualPayment(c.env, order.account_id, order.mode, order.invoice_id, order.note ?? null);
    if (paid.changed) auditAs(c, order.account_id, { type: "system", id: "operator" }, "invoice.pay", { type: "invoice", id: paid.invoice.id });
    return c.json({ invoice_id: paid.invoice.id, status: paid.invoice.status, amount_paid: paid.invoice.amountPaid, paid_at: paid.invoice.paidAt, changed: paid.changed }, 200);
  });

  app.post(BILLING_PATHS.credits, async (c) => {
    const order = await operatorOrder(c, OperatorCreditSchema);
    const operator = () => auditAs(c, order.account_id, { type: "system", id: "operator" }, "credits.grant", { type: "account", id: order.account_id });
    const scope = { accountId: order.account_id, mode: order.mode };
    if (order.purchase_id) {
      const purchase = await findPurchase(database(c.env.DB), order.account_id, order.purchase_id);
      if (!purchase) throw new ApiError("request.invalid", { detail: `${order.purchase_id} is not a purchase of ${order.account_id}.`, errors: [{ pointer: "/purchase_id", detail: "no such purchase" }] });
      const completed = await completePurchase(c.env, purchase);
      operator();
      return c.json({ purchase_id: completed.id, status: completed.status, credits: await ledger(c.env, purchase.accountId, purchase.mode).balance({ accountId: purchase.accountId, mode: purchase.mode }) }, 200);
    }
    const credits = order.credits!;
    const result = await ledger(c.env, order.account_id, order.mode).append(scope, {
      kind: credits > 0 ? "grant" : "adjustment",
      amount: credits,
      reference: `operator:${c.req.header("webhook-id")}`,
      description: order.description ?? (credits > 0 ? "Granted by the operator" : "Adjusted by the operator"),
    });
    if (!result.ok) throw new ApiError("balance.insufficient", { detail: `The balance is ${result.balance}; it cannot go below zero.` });
    operator();
    return c.json({ transaction_id: result.transaction.id, credits: result.transaction.balanceAfter }, 200);
  });
}
