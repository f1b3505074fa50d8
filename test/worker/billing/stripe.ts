/** Stripe test helpers: a deployment with PAYMENT_PROVIDER=stripe, requests through the Worker, Stripe's signatures. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createHmac } from "node:crypto";
import worker from "../../../src/worker";

/** The pool's bindings with Stripe as the payment provider (a per-test env: the pool's own stays `manual`). */
export function stripeDeployment(secretKey: string): Env {
  return { ...env, PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: secretKey, PUBLIC_URL: "https://fax.example.com" } as Env;
}

/** A request through the Worker's fetch handler with `deployment`, after its waitUntil work (audit) is done. */
export async function throughWorker(deployment: Env, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://fax.test${path}`, init), deployment, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Stripe-Signature as Stripe computes it: t=<seconds>,v1=<hex HMAC-SHA256(secret, "t.payload")> (https://docs.stripe.com/webhooks#verify-manually). */
export function stripeSignature(payload: string, timestamp = Math.floor(Date.now() / 1000), secret = env.STRIPE_WEBHOOK_SECRET!): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex")}`;
}

/** A Stripe event delivered to POST /webhooks/stripe as Stripe sends it. */
export function deliverStripeEvent(deployment: Env, payload: string, signature = stripeSignature(payload)): Promise<Response> {
  return throughWorker(deployment, "/webhooks/stripe", {
    method: "POST",
    body: payload,
    headers: { "content-type": "application/json; charset=utf-8", "stripe-signature": signature, "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" },
  });
}
