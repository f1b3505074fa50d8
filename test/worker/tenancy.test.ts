import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "./helpers";

describe("tenant isolation", () => {
  it("hides one account's fax from another on every endpoint", async () => {
    const alice = await createTestAccount();
    const mallory = await createTestAccount();
    const sent = await (await sendFax(alice.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(alice.key, sent.id);

    await expectProblem(await api(`/v1/faxes/${sent.id}`, { key: mallory.key }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${sent.id}/events`, { key: mallory.key }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${sent.id}/document`, { key: mallory.key }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${sent.id}`, { key: mallory.key, method: "DELETE" }), 404, "fax.not_found");
    await expectProblem(await api(`/v1/faxes/${sent.id}/resend`, { key: mallory.key, method: "POST" }), 404, "fax.not_found");

    const list = await (await api("/v1/faxes", { key: mallory.key })).json<{ data: unknown[] }>();
    expect(list.data).toEqual([]);
    const own = await (await api("/v1/faxes", { key: alice.key })).json<{ data: { id: string }[] }>();
    expect(own.data.map((f) => f.id)).toEqual([sent.id]);
  });

  it("does not let an account send from another account's number", async () => {
    const alice = await createTestAccount();
    const mallory = await createTestAccount();
    const res = await sendFax(mallory.key, { to: "+15550100001", from: alice.number, documents: [await pdfDocument()] });
    await expectProblem(res, 422, "fax.sender.invalid");
  });

  it("hides another account's numbers", async () => {
    const alice = await createTestAccount();
    const mallory = await createTestAccount();
    const list = await (await api("/v1/numbers", { key: alice.key })).json<{ data: { id: string }[] }>();
    const id = list.data[0]!.id;
    await expectProblem(await api(`/v1/numbers/${id}`, { key: mallory.key }), 404, "number.not_found");
    await expectProblem(await api(`/v1/numbers/${id}`, { key: mallory.key, method: "DELETE" }), 404, "number.not_found");
  });
});
