import { describe, expect, it } from "vitest";
import { api, createTestAccount, pdfDocument, sendFax, waitForFinal } from "./helpers";

describe("a test-mode fax", () => {
  it("goes from POST to delivered through the real bindings", async () => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(2)] });
    expect(res.status, await res.clone().text()).toBe(202);
    const fax = await res.json<{ id: string; status: string; page_count: number }>();
    expect(fax.status).toBe("queued");
    expect(fax.page_count).toBe(2);
    const done = await waitForFinal(account.key, fax.id);
    expect(done.status).toBe("delivered");
    expect(done.pages_sent).toBe(2);
    const events = await (await api(`/v1/faxes/${fax.id}/events`, { key: account.key })).json<{ data: { type: string }[] }>();
    expect(events.data.map((e) => e.type)).toEqual(["fax.queued", "fax.sending", "fax.page_sent", "fax.page_sent", "fax.delivered"]);
  });
});
