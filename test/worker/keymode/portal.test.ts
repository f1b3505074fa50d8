/** The portal reads a fax, a user and a number only in the session's mode, as the API does with a key's (src/db/tenant.ts). */
import { describe, expect, it } from "vitest";
import { api, createTestAccount, pdfDocument, sendFax } from "../helpers";
import { memberWithRole, page, post } from "../portal/helpers";
import { createEndpoint, newReceiver } from "../webhooks/receiver";

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

  it("a live webhook endpoint is not listed nor found in the test context, and cannot be changed there", async () => {
    const account = await createTestAccount("live");
    const member = await memberWithRole("owner", { accountId: account.accountId, key: account.key });
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });

    expect(await (await page("/portal/webhooks", member)).text()).not.toContain(receiver.url());
    expect((await page(`/portal/webhooks/${endpoint.id}`, member)).status).toBe(404);
    for (const action of ["ping", "rotate", "disable", "delete"]) expect((await post(`/portal/webhooks/${endpoint.id}/${action}`, member)).status, action).toBe(404);
    expect(await (await api(`/v1/webhooks/${endpoint.id}`, { key: account.key })).json()).toMatchObject({ enabled: true });
    expect(await (await api(`/v1/webhooks/${endpoint.id}/deliveries`, { key: account.key })).json()).toMatchObject({ data: [] });

    expect((await post("/portal/mode", member, { mode: "live" })).status).toBe(303);
    expect(await (await page("/portal/webhooks", member)).text()).toContain(receiver.url());
    expect((await page(`/portal/webhooks/${endpoint.id}`, member)).status).toBe(200);
  });
});
