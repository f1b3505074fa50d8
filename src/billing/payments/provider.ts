/**
 * How a live account pays (issue 16 points 3 and 5): for a credit bundle, or for a closed monthly statement. A
 * provider opens the payment; it counts once the provider confirms it (Stripe's webhook) or the operator does
 * (manual). Test mode never reaches a provider: its payments complete at once.
 */

/** One thing to pay for. */
export interface CheckoutRequest {
  /** Our id of the payment (pur_… or pay_…): Stripe's client_reference_id and Idempotency-Key. */
  reference: string;
  /** Minor units (cents) of `currency`. */
  amount: number;
  currency: string;
  /** What the buyer sees on the payment page. */
  name: string;
  /** The query of the portal's billing page the buyer comes back to, e.g. `purchase=pur_…`. */
  returnQuery: string;
  /** Kept with the payment at the provider, in this order (Stripe's `metadata`). */
  metadata: Record<string, string>;
}

export interface Checkout {
  /** The provider's id for the payment (a Stripe Checkout Session id). */
  providerRef: string;
  /** Where the buyer pays. */
  checkoutUrl: string;
}

export interface PaymentProvider {
  readonly name: "manual" | "stripe";
  /** Opens the payment; null when nothing is for the buyer to do (the operator records it). */
  checkout(request: CheckoutRequest): Promise<Checkout | null>;
}

/**
 * The default: no payment online. The operator books paid purchases (`npm run credits:grant -- --purchase pur_…`)
 * and marks paid statements (`npm run invoice:paid -- --invoice inv_…`).
 */
export const manualProvider: PaymentProvider = {
  name: "manual",
  checkout: async () => null,
};
