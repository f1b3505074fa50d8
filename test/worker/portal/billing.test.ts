/** The billing page (issue 19 point 4 on issue 16's ledger): balances per mode, a purchase, the transactions. */
import { describe, expect, it, vi } from "vitest";
import { auditLines } from "../audit/helpers";
import { closedStatement } from "../billing/helpers";
import { memberWithRole, page, post } from "./helpers";

describe("billing page", () => {
  it("shows both balances, and a test purchase adds its credits to the test ledger", async () => {
    const m = await memberWithRole("billing");
    const before = await (await page("/portal/billing", m)).text();
    expect(before).toMatch(/<div class="n" id="live-credits">0<\/div>live credits/);
    expect(before).toContain("10000</div>test credits");
    // The purchase fills the ledger of the session's context (test), whatever a form field says.
    const bought = await post("/portal/billing/purchases", m, { bundle: "credits_100", mode: "live" });
    expect(bought.status).toBe(303);
    expect(bought.headers.get("location")).toBe("/portal/billing?done=completed");
    const after = await (await page("/portal/billing", m)).text();
    expect(after).toMatch(/<div class="n" id="live-credits">0<\/div>live credits/);
    expect(after).toContain("10100</div>test credits");
    expect(after).toContain("<td>+100</td><td>10100</td>");
  });

  it("refuses a bundle that does not exist with the catalog's error page", async () => {
    const m = await memberWithRole("owner");
    const res = await post("/portal/billing/purchases", m, { bundle: "credits_7", mode: "test" });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("There is no bundle credits_7.");
  });

  it("lists the mode's statements with their status, and pays one (test: at once; manual live: the operator's way)", async () => {
    const m = await memberWithRole("billing");
    const test = await closedStatement(m.accountId, "test", "2026-10", "past_due");
    const live = await closedStatement(m.accountId, "live", "2026-10", "open");
    const before = await (await page("/portal/billing", m)).text();
    expect(before).toContain("<td>2026-10</td><td>past due</td><td>$7.50</td><td>$7.50</td>");
    expect(before).toContain(`action="/portal/billing/invoices/${test}/pay"`);

    const paid = await post(`/portal/billing/invoices/${test}/pay`, m, { mode: "test" });
    expect([paid.status, paid.headers.get("location")]).toEqual([303, "/portal/billing?statement=paid"]);
    const after = await (await page("/portal/billing?statement=paid", m)).text();
    expect(after).toContain("The statement is paid.");
    expect(after).toContain("<td>2026-10</td><td>paid</td><td>$7.50</td><td>$0.00</td>");
    expect(after).not.toContain(`/portal/billing/invoices/${test}/pay`);
    // Recorded after the response: wait for it.
    const paidEntries = await vi.waitFor(
      async () => {
        const entries = (await auditLines(m.accountId, 1)).map((l) => JSON.parse(l) as { action: string; actor: { type: string }; target: { id: string } }).filter((e) => e.action === "invoice.pay");
        if (entries.length === 0) throw new Error("no invoice.pay entry yet");
        return entries;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(paidEntries).toEqual([expect.objectContaining({ actor: expect.objectContaining({ type: "user" }), target: expect.objectContaining({ id: test }) })]);

    // Live statements are paid from the live context (the switch at the top of every page).
    await post("/portal/mode", m, { mode: "live" });
    const offline = await post(`/portal/billing/invoices/${live}/pay`, m, { mode: "live" });
    expect(offline.headers.get("location")).toBe("/portal/billing?statement=offline");
    expect(await (await page("/portal/billing", m)).text()).toContain("<td>2026-10</td><td>open</td>");
  });
});
