// Issue 16 point 4: balance.low once each time the balance falls below the threshold, again only after it rose back.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ledger } from "../../../src/billing/ledger";
import { api, pdfDocument, sendFax } from "../helpers";
import { createEndpoint, newReceiver, verified, waitFor } from "../webhooks/receiver";
import { accountWithCredits } from "./helpers";

const later = () => new Date(Date.now() + 3600_000).toISOString();

describe("balance.low", () => {
  it("fires once per crossing below the threshold (default 10, then the account's setting)", async () => {
    const account = await accountWithCredits("live", 20);
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url(), event_types: ["balance.low"] });
    const send = async (pages: number) => {
      const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(pages)], send_at: later() });
      expect(res.status).toBe(202);
      return (await res.json<{ id: string }>()).id;
    };
    const credits = async () => (await (await api("/v1/balance", { key: account.key })).json<{ credits: number }>()).credits;

    await send(5); // 15: still above
    const six = await send(6); // 9: below 10, the first crossing
    await send(1); // 8: still below, nothing new
    await waitFor("the first balance.low", () => receiver.requests.length >= 1);
    expect((await api(`/v1/faxes/${six}`, { method: "DELETE", key: account.key })).status).toBe(200);
    await waitFor("the refund", async () => (await credits()) === 14);
    await send(5); // 9: below again after rising above: the second crossing
    await waitFor("the second balance.low", () => receiver.requests.length >= 2);

    const events = receiver.requests.map((r) => verified(endpoint.secret, r));
    expect(events.map((e) => e.type)).toEqual(["balance.low", "balance.low"]);
    expect(events.map((e) => e.data.balance)).toEqual([
      { credits: 9, low_balance_threshold: 10, mode: "live" },
      { credits: 9, low_balance_threshold: 10, mode: "live" },
    ]);

    // The threshold comes from the settings. Raised to 50, a change that stays below it sends nothing: one event
    // went out since the balance was last at or above the threshold.
    expect((await api("/v1/settings", { method: "PATCH", key: account.key, json: { low_balance_threshold: 50 } })).status).toBe(200);
    await send(1);
    // A grant lifts the balance above 50 (re-arming it), the next send brings it below again: one more event.
    await ledger(env, account.accountId, "live").append({ accountId: account.accountId, mode: "live" }, { kind: "grant", amount: 50, reference: "low:grant", description: "test" });
    expect(await credits()).toBe(58);
    await send(9); // 49 < 50
    await waitFor("the third balance.low", () => receiver.requests.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests.map((r) => verified(endpoint.secret, r).data.balance)).toEqual([
      { credits: 9, low_balance_threshold: 10, mode: "live" },
      { credits: 9, low_balance_threshold: 10, mode: "live" },
      { credits: 49, low_balance_threshold: 50, mode: "live" },
    ]);
  });
});
