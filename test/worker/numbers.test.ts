import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "./helpers";

describe("numbers", () => {
  it("allocates fictional test numbers, lists them newest first, and sends from the chosen one", async () => {
    const account = await createTestAccount();
    const created = await api("/v1/numbers", { method: "POST", key: account.key, json: { label: "Billing" } });
    expect(created.status).toBe(201);
    const number = await created.json<{ id: string; number: string; mode: string; label: string }>();
    expect(number.id).toMatch(/^num_/);
    expect(number.number).toMatch(/^\+1555010\d{4}$/);
    expect(number.mode).toBe("test");
    expect(number.label).toBe("Billing");
    expect(created.headers.get("location")).toBe(`/v1/numbers/${number.id}`);

    const list = await (await api("/v1/numbers", { key: account.key })).json<{ data: { id: string; number: string }[] }>();
    expect(list.data.map((n) => n.number)).toEqual([number.number, account.number]);

    const fax = await (await sendFax(account.key, { to: "+15550100001", from: number.number, documents: [await pdfDocument()] })).json<{ from: string }>();
    expect(fax.from).toBe(number.number);
  });

  it("allocates live numbers from the operator's pool, never twice", async () => {
    const first = await createTestAccount("live");
    const second = await createTestAccount("live");
    const grabbed: string[] = [];
    for (let turn = 0; ; turn++) {
      const key = turn % 2 === 0 ? first.key : second.key;
      const res = await api("/v1/numbers", { method: "POST", key, json: {} });
      if (res.status !== 201) {
        await expectProblem(res, 409, "number.unavailable");
        break;
      }
      grabbed.push((await res.json<{ number: string }>()).number);
      expect(grabbed.length).toBeLessThan(10);
    }
    // Two accounts taking turns drain the pool, and no number is handed out twice.
    expect(grabbed.sort()).toEqual(env.LIVE_NUMBER_POOL.split(",").sort());
  });

  it("releases a number, which then can't be used as from", async () => {
    const account = await createTestAccount();
    const list = await (await api("/v1/numbers", { key: account.key })).json<{ data: { id: string; number: string }[] }>();
    const released = await api(`/v1/numbers/${list.data[0]!.id}`, { method: "DELETE", key: account.key });
    expect(released.status).toBe(200);
    await expectProblem(await api(`/v1/numbers/${list.data[0]!.id}`, { key: account.key }), 404, "number.not_found");
    await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] }), 422, "fax.sender.invalid");
  });

  it("refuses unknown fields", async () => {
    const account = await createTestAccount();
    await expectProblem(await api("/v1/numbers", { method: "POST", key: account.key, json: { areacode: "415" } }), 422, "request.invalid");
  });
});
