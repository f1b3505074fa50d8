/**
 * Paying a closed monthly statement (issue 16 point 5): `open` or `past_due` becomes `paid`, once, however often
 * and by whomever the payment is confirmed. Test mode pays at once, so integrations can run the flow. Live, with
 * `stripe` the account pays at a Checkout Session and Stripe's `checkout.session.completed` marks the statement
 * paid; with `manual` (or with any provider, for money that came another way) the operator marks it paid
 * (`npm run invoice:paid`). The status change, the payment row and the `invoice.paid` event are one D1 batch,
 * the event stored only while the statement is still payable, so a second confirmation changes nothing and
 * emits nothing.
 */
import { isoNow } from "../config";
import { database } from "../db/client";
import type { Mode } from "../db/credit-store";
import {
  findInvoice,
  findOpenCheckout,
  findPaymentByProviderRef,
  insertInvoicePayment,
  invoicePayable,
  markInvoicePaid,
  markPaymentPaid,
  setPaymentCheckout,
  type InvoicePaymentRow,
  type InvoiceRow,
} from "../db/invoice-store";
import { ApiError } from "../errors/api-error";
import { newId } from "../lib/ids";
import { accountEvent, publishAccountEvents } from "../webhooks/account-events";
import { formatPrice } from "./prices";
import { openCheckout, paymentProvider, sessionPaid, type CheckoutSession } from "./purchases";

/** Stripe keeps a Checkout Session open 24 hours by default: one opened within this long is handed out again. */
const CHECKOUT_REUSE_MS = 23 * 3_600_000;

export interface PaidStatement {
  invoice: InvoiceRow;
  /** True when this call moved it to paid (false: it was paid already). */
  changed: boolean;
}

function newPayment(invoice: InvoiceRow, provider: InvoicePaymentRow["provider"], note: string | null): InvoicePaymentRow {
  return {
    id: newId("pay"),
    accountId: invoice.accountId,
    mode: invoice.mode,
    invoiceId: invoice.id,
    provider,
    status: "pending",
    amount: invoice.total - invoice.amountPaid,
    currency: invoice.currency,
    providerRef: null,
    checkoutUrl: null,
    note,
    createdAt: isoNow(),
    paidAt: null,
  };
}

async function statement(env: Env, accountId: string, mode: Mode, invoiceId: string): Promise<InvoiceRow> {
  const invoice = await findInvoice(database(env.DB), accountId, mode, invoiceId);
  if (!invoice) throw new ApiError("billing.invoice_not_found");
  return invoice;
}

/**
 * The statement is paid by `payment` (a stored row): the event, the payment and the statement in one batch, the
 * first two only while the statement is still payable, so a repeat or a race changes and emits nothing.
 */
async function settleStatement(env: Env, invoice: InvoiceRow, payment: InvoicePaymentRow): Promise<PaidStatement> {
  const db = database(env.DB);
  const paidAt = isoNow();
  const data = {
    invoice: { id: invoice.id, period: invoice.period, status: "paid", currency: invoice.currency, total: invoice.total, amount_paid: invoice.total, amount_due: 0, paid_at: paidAt },
    payment: { id: payment.id, provider: payment.provider, amount: payment.amount },
  };
  const recorded = accountEvent(db, { accountId: invoice.accountId, mode: invoice.mode, type: "invoice.paid", data }, invoicePayable(invoice.accountId, invoice.id));
  const [, , moved] = await db.batch([recorded.statement, markPaymentPaid(db, payment, paidAt), markInvoicePaid(db, invoice.accountId, invoice.id, paidAt)]);
  const changed = moved.length > 0;
  if (changed) await publishAccountEvents(env, invoice.accountId, [recorded.event]);
  return { invoice: changed ? moved[0]! : await statement(env, invoice.accountId, invoice.mode, invoice.id), changed };
}

/**
 * POST /v1/invoices/{id}/pay. Test mode: paid at once. Live with Stripe: the Checkout Session to pay at (the one
 * opened in the last 23 hours, else a new one). Live with `manual`: refused, the operator records payments.
 */
export async function payStatement(env: Env, accountId: string, mode: Mode, invoiceId: string): Promise<PaidStatement & { checkoutUrl: string | null }> {
  const invoice = await statement(env, accountId, mode, invoiceId);
  if (invoice.status === "paid") return { invoice, changed: false, checkoutUrl: null };
  const db = database(env.DB);
  if (mode === "test") {
    const payment = newPayment(invoice, "test", null);
    await insertInvoicePayment(db, payment);
    return { ...(await settleStatement(env, invoice, payment)), checkoutUrl: null };
  }
  const provider = paymentProvider(env);
  if (provider.name === "manual") throw new ApiError("billing.payment_offline");
  const open = await findOpenCheckout(db, accountId, invoice.id, new Date(Date.now() - CHECKOUT_REUSE_MS).toISOString());
  if (open?.checkoutUrl) return { invoice, changed: false, checkoutUrl: open.checkoutUrl };
  const payment = newPayment(invoice, provider.name, null);
  await insertInvoicePayment(db, payment);
  const checkout = await openCheckout(provider, accountId, {
    reference: payment.id,
    amount: payment.amount,
    currency: payment.currency,
    name: `Fax statement ${invoice.period} (${formatPrice(payment.amount)})`,
    returnQuery: `invoice=${invoice.id}`,
    metadata: { invoice_id: invoice.id, payment_id: payment.id, account_id: accountId },
  });
  if (!checkout) throw new Error(`the ${provider.name} provider opened no checkout for ${payment.id}`);
  await setPaymentCheckout(db, accountId, payment.id, checkout.providerRef, checkout.checkoutUrl);
  return { invoice, changed: false, checkoutUrl: checkout.checkoutUrl };
}

/** The operator records a payment that came outside any provider (a bank transfer): the statement is paid. */
export async function recordManualPayment(env: Env, accountId: string, mode: Mode, invoiceId: string, note: string | null): Promise<PaidStatement> {
  const invoice = await statement(env, accountId, mode, invoiceId);
  if (invoice.status === "paid") return { invoice, changed: false };
  const payment = newPayment(invoice, "manual", note);
  await insertInvoicePayment(database(env.DB), payment);
  return settleStatement(env, invoice, payment);
}

/**
 * Stripe confirmed a Checkout Session opened for a statement: it is paid, if the session, amount and currency
 * are the ones recorded. `repeat`: Stripe sent this session's event again. `already_paid`: the statement was
 * paid another way meanwhile, so this money paid nothing (the caller logs it for a refund).
 */
export async function statementCheckoutCompleted(env: Env, session: CheckoutSession): Promise<{ outcome: "paid" | "repeat" | "already_paid" | "unpaid" | "unknown" | "mismatch"; statement?: PaidStatement }> {
  if (!sessionPaid(session)) return { outcome: "unpaid" };
  const payment = await findPaymentByProviderRef(database(env.DB), "stripe", session.id);
  if (!payment) return { outcome: "unknown" };
  if (session.client_reference_id !== payment.id || session.amount_total !== payment.amount || session.currency !== payment.currency) return { outcome: "mismatch" };
  if (payment.status === "paid") return { outcome: "repeat" };
  const invoice = await statement(env, payment.accountId, payment.mode, payment.invoiceId);
  const paid = await settleStatement(env, invoice, payment);
  return { outcome: paid.changed ? "paid" : "already_paid", statement: paid };
}
