/** The portal reads a fax, a user and a number only in the session's mode, as the API does with a key's (src/db/tenant.ts). */
import { describe, expect, it } from "vitest";
import { api, createTestAccount, pdfDocument, sendFax } from "../helpers";
import { memberWithRole, page, post } from "../portal/helpers";

describe("the portal's test context and live objects", () => {
  it("a live fax and a live user are not found in the test context, and cancel leaves the fax alone", async () => {
    const account = await createTestAccount("live");
    const member = await memberWithRole("owner", { accountId: account.accountId, key: account.key });
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: sendAt })).json<{ id: string; status: string }>();
    expect(fax.status).toBe("scheduled");
    expect((await api("/v1/external-users/pat-live", { method: "PUT", key: account.key, json: { name: "Pat" } })).status).toBe(201);

    expect((await page(`/portal/faxes/${fax.id}`, member)).status).toBe(404);
    expect((await post(`/portal/faxes/${fax.id}/cancel`, member)).status).toBe(404);
    expect((await page("/portal/external-users/pat-live", member)).status).toBe(404);
    expect((await (await api(`/v1/faxes/${fax.id}`, { key: account.key })).json<{ status: string }>()).status).toBe("scheduled");

    expect((await post("/portal/mode", member, { mode: "live" })).status).toBe(303);
    expect((await page(`/portal/faxes/${fax.id}`, member)).status).toBe(200);
    expect((await page("/portal/external-users/pat-live", member)).status).toBe(200);
  });
});
