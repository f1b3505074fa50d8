/**
 * What credits and numbers cost: the one table of credit bundles and of monthly number prices
 * (docs/architecture.md "Credits and billing"). One credit is one page sent. Prices are in cents (USD).
 */
export const CURRENCY = "usd";

export const BUNDLES = [
  { id: "credits_100", credits: 100, price: 1_000 },
  { id: "credits_500", credits: 500, price: 4_500 },
  { id: "credits_2000", credits: 2_000, price: 16_000 },
] as const;

export type Bundle = (typeof BUNDLES)[number];
export type BundleId = Bundle["id"];

export function findBundle(id: string): Bundle | undefined {
  return BUNDLES.find((b) => b.id === id);
}

/** A number's monthly price by tier, prorated by the part of the month it was held. */
export const NUMBER_MONTHLY_PRICE = { personal: 250, business: 750 } as const;
export type NumberTier = keyof typeof NUMBER_MONTHLY_PRICE;

/** A test-mode ledger starts with this grant, so magic numbers and integrations run without buying anything. */
export const TEST_STARTING_CREDITS = 10_000;

/**
 * Under `npm start` (ENVIRONMENT=local) a live ledger starts with this grant too: live faxes there go over the
 * loopback carrier to the machine itself, so nothing is bought, and the README's gateway walk-through works as
 * written. A deployed platform's live ledger starts at zero.
 */
export const LOCAL_LIVE_STARTING_CREDITS = 1_000;

/** Days a closed statement with an amount due stays `open` before it is `past_due`. */
export const INVOICE_DUE_DAYS = 14;

export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
