/**
 * Stripe Checkout for credit bundles and statements, over Stripe's HTTP API with fetch (no SDK: it is not built for workerd).
 * - A Checkout Session: POST https://api.stripe.com/v1/checkout/sessions, form-encoded with bracketed keys
 *   (https://docs.stripe.com/api/checkout/sessions/create), an Idempotency-Key so a retried request opens one session.
 * - Its webhook: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">[,v1=…]`, checked against
 *   the endpoint's secret with a tolerance (https://docs.stripe.com/webhooks#verify-manually), so a tampered
 *   or replayed (old) event is refused.
 */
import { hmacSha256, timingSafeEqual, toHex } from "../../lib/crypto";
import type { Checkout, CheckoutRequest, PaymentProvider } from "./provider";

export const STRIPE_API = "https://api.stripe.com";
/** Stripe's own libraries default to five minutes. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface StripeOptions {
  secretKey: string;
  /** The page Checkout sends the buyer back to (the portal's billing page); `returnQuery` and `checkout=done|canceled` are added. */
  returnUrl: string;
  fetch?: typeof fetch;
}

/** The form body of a Checkout Session for one payment: one line item at its amount. */
export function checkoutSessionForm(request: CheckoutRequest, returnUrl: string): URLSearchParams {
  const form = new URLSearchParams();
  form.set("mode", "payment");
  form.set("client_reference_id", request.reference);
  form.set("success_url", `${returnUrl}?${request.returnQuery}&checkout=done`);
  form.set("cancel_url", `${returnUrl}?${request.returnQuery}&checkout=canceled`);
  form.set("line_items[0][quantity]", "1");
  form.set("line_items[0][price_data][currency]", request.currency);
  form.set("line_items[0][price_data][unit_amount]", String(request.amount));
  form.set("line_items[0][price_data][product_data][name]", request.name);
  for (const [key, value] of Object.entries(request.metadata)) form.set(`metadata[${key}]`, value);
  return form;
}

export function stripeProvider(options: StripeOptions): PaymentProvider {
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    name: "stripe",
    async checkout(request): Promise<Checkout> {
      const res = await send(`${STRIPE_API}/v1/checkout/sessions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.secretKey}`,
          "content-type": "application/x-www-form-urlencoded",
          "idempotency-key": request.reference,
        },
        body: checkoutSessionForm(request, options.returnUrl).toString(),
      });
      const body = (await res.json().catch(() => null)) as { id?: unknown; url?: unknown; error?: { message?: string } } | null;
      if (!res.ok || typeof body?.id !== "string" || typeof body.url !== "string") {
        throw new Error(`Stripe refused the Checkout Session (${res.status}): ${body?.error?.message ?? "no session in the answer"}`);
      }
      return { providerRef: body.id, checkoutUrl: body.url };
    },
  };
}

/** Parses `t=…,v1=…,v1=…` (other schemes such as v0 are ignored, as Stripe's libraries do). */
export function parseStripeSignature(header: string): { timestamp: number; signatures: string[] } | null {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const at = part.indexOf("=");
    if (at < 1) continue;
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures };
}

export async function stripeSignature(secret: string, timestamp: number, payload: string): Promise<string> {
  return toHex(await hmacSha256(secret, `${timestamp}.${payload}`));
}

/** True when one v1 signature matches the payload and the timestamp is within the tolerance of now. */
export async function verifyStripeSignature(
  secret: string,
  header: string | null | undefined,
  payload: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = STRIPE_SIGNATURE_TOLERANCE_SECONDS,
): Promise<boolean> {
  const parsed = header ? parseStripeSignature(header) : null;
  if (!parsed || Math.abs(nowSeconds - parsed.timestamp) > toleranceSeconds) return false;
  const expected = await stripeSignature(secret, parsed.timestamp, payload);
  let ok = false;
  for (const candidate of parsed.signatures) if (timingSafeEqual(candidate, expected)) ok = true;
  return ok;
}
