/**
 * Buying credits (issue 16 point 3): a purchase of a bundle is recorded, the payment provider opens the
 * payment, and the credits are booked once it is paid. Test mode completes at once, so an integration can
 * run the whole flow; live mode goes through PAYMENT_PROVIDER ("manual" by default, or "stripe").
 */
import { settings } from "../config";
import { database } from "../db/client";
import { findPurchase, findPurchaseById, insertPurchase, markPurchaseCompleted, setPurchaseCheckout, type CreditPurchaseRow, type Mode } from "../db/credit-store";
import { ApiError } from "../errors/api-error";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { ledger } from "./ledger";
import { manualProvider, type Checkout, type CheckoutRequest, type PaymentProvider } from "./payments/provider";
import { stripeProvider } from "./payments/stripe";
import { CURRENCY, findBundle, formatPrice } from "./prices";

export function paymentProvider(env: Env): PaymentProvider {
  const config = settings(env);
  if (config.paymentProvider !== "stripe") return manualProvider;
  if (!env.STRIPE_SECRET_KEY) throw new Error("PAYMENT_PROVIDER is stripe but the STRIPE_SECRET_KEY secret is not set.");
  return stripeProvider({ secretKey: env.STRIPE_SECRET_KEY, returnUrl: `${config.publicUrl}/portal/billing` });
}

/** Opens a payment at the provider; a refusal is 502 `billing.provider_failed` (the cause goes to the log). */
export async function openCheckout(provider: PaymentProvider, accountId: string, request: CheckoutRequest): Promise<Checkout | null> {
  try {
    return await provider.checkout(request);
  } catch (error) {
    log.error("payment provider refused a payment", { account_id: accountId, reference: request.reference, error: String(error) });
    throw new ApiError("billing.provider_failed");
  }
}

export async function startPurchase(env: Env, accountId: string, mode: Mode, bundleId: string): Promise<CreditPurchaseRow> {
  const bundle = findBundle(bundleId);
  if (!bundle) throw new ApiError("billing.bundle_not_found", { detail: `There is no bundle ${bundleId}.`, errors: [{ pointer: "/bundle", detail: "not a bundle id" }] });
  const provider = mode === "test" ? null : paymentProvider(env);
  const purchase: CreditPurchaseRow = {
    id: newId("pur"),
    accountId,
    mode,
    bundle: bundle.id,
    credits: bundle.credits,
    price: bundle.price,
    currency: CURRENCY,
    provider: provider?.name ?? "test",
    status: "pending",
    providerRef: null,
    checkoutUrl: null,
    createdAt: new Date().toISOString(),
    completedAt: null,
  };
  const db = database(env.DB);
  await insertPurchase(db, purchase);
  if (!provider) return completePurchase(env, purchase);
  const checkout = await openCheckout(provider, accountId, {
    reference: purchase.id,
    amount: purchase.price,
    currency: purchase.currency,
    name: `${purchase.credits} fax credits (${formatPrice(purchase.price)})`,
    returnQuery: `purchase=${purchase.id}`,
    metadata: { purchase_id: purchase.id, account_id: accountId },
  });
  if (!checkout) return purchase;
  await setPurchaseCheckout(db, accountId, purchase.id, checkout.providerRef, checkout.checkoutUrl);
  return { ...purchase, ...checkout };
}

/** Books the purchase's credits (once, whoever confirms it and however often) and marks it completed. */
export async function completePurchase(env: Env, purchase: CreditPurchaseRow): Promise<CreditPurchaseRow> {
  const scope = { accountId: purchase.accountId, mode: purchase.mode };
  const booked = await ledger(env, purchase.accountId, purchase.mode).append(scope, {
    kind: "purchase",
    amount: purchase.credits,
    reference: `purchase:${purchase.id}`,
    description: `Bundle ${purchase.bundle}: ${purchase.credits} credits`,
    purchaseId: purchase.id,
  });
  if (!booked.ok) throw new Error(`purchase ${purchase.id} could not be booked`);
  await markPurchaseCompleted(database(env.DB), purchase.accountId, purchase.id, booked.transaction.createdAt);
  return (await findPurchase(database(env.DB), purchase.accountId, purchase.id)) ?? purchase;
}

/** What a `checkout.session.completed` event carries that matters here (https://docs.stripe.com/api/checkout/sessions/object). */
export interface CheckoutSession {
  id: string;
  metadata?: Record<string, string> | null;
  client_reference_id?: string | null;
  payment_status?: string;
  amount_total?: number | null;
  currency?: string | null;
}

/** A completed session may still wait for an asynchronous payment (then `checkout.session.async_payment_succeeded` follows). */
export function sessionPaid(session: CheckoutSession): boolean {
  return session.payment_status === "paid" || session.payment_status === "no_payment_required";
}

/**
 * Stripe confirmed a Checkout Session: the purchase it was opened for is booked, if the session, the amount and
 * the currency are the ones recorded. Returns what happened, for the log; a repeat books nothing.
 */
export async function checkoutCompleted(env: Env, session: CheckoutSession): Promise<"booked" | "unpaid" | "unknown" | "mismatch"> {
  if (!sessionPaid(session)) return "unpaid";
  const purchase = session.client_reference_id ? await findPurchaseById(database(env.DB), session.client_reference_id) : undefined;
  if (!purchase || purchase.provider !== "stripe") return "unknown";
  if (purchase.providerRef !== session.id || session.amount_total !== purchase.price || session.currency !== purchase.currency) return "mismatch";
  await completePurchase(env, purchase);
  return "booked";
}
