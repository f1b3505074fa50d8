/**
 * How a live account pays for a credit bundle (issue 16 point 3). A provider opens the payment; the purchase
 * is booked into the ledger once the provider confirms it (Stripe's webhook) or the operator does (manual).
 * Test mode never reaches a provider: its purchases complete at once.
 */
import type { CreditPurchaseRow } from "../../db/credit-store";

export interface Checkout {
  /** The provider's id for the payment (a Stripe Checkout Session id). */
  providerRef: string;
  /** Where the buyer pays. */
  checkoutUrl: string;
}

export interface PaymentProvider {
  readonly name: "manual" | "stripe";
  /** Opens the payment; null when nothing is for the buyer to do (the operator completes the purchase). */
  checkout(purchase: CreditPurchaseRow): Promise<Checkout | null>;
}

/** The default: no payment online. The operator books paid purchases (`npm run credits:grant -- --purchase pur_…`). */
export const manualProvider: PaymentProvider = {
  name: "manual",
  checkout: async () => null,
};
