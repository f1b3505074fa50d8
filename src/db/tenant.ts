/**
 * Whose data a query sees: one account, in one mode. Like Stripe's test and live modes, an account's test
 * data and live data never mix: a test key (or a portal session in test mode) finds only test faxes,
 * numbers, external users and their inboxes, and the id of a live one answers 404 exactly like another
 * account's (README "Test and live data"). The API's Caller and the portal's member both are one.
 */
export interface Tenant {
  accountId: string;
  mode: "test" | "live";
}
