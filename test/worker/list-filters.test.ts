// Issue 13 point 8: the filters people expect: metadata[key]=value on GET /v1/faxes, label on GET /v1/numbers.
import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "./helpers";

const ids = async (res: Response) => (await res.json<{ data: { id: string }[] }>()).data.map((f) => f.id);

describe("list filters", () => {
  it("metadata[key]=value matches the fax's own metadata exactly, every pair, in this account only", async () => {
    const account = await createTestAccount();
    const other = await createTestAccount();
    const send = async (key: string, metadata: Record<string, string>) => (await (await sendFax(key, { to: "+15550100001", documents: [await pdfDocument()], metadata })).json<{ id: string }>()).id;
    const a = await send(account.key, { order_id: "A-1001", clinic: "north" });
    const b = await send(account.key, { order_id: "A-1002", clinic: "north" });
    await send(account.key, { order_id: "A-10010" });
    await send(other.key, { order_id: "A-1001" });
    const q = (s: string) => api(`/v1/faxes?${s}`, { key: account.key });
    expect(await ids(await q("metadata[order_id]=A-1001"))).toEqual([a]);
    expect(await ids(await q("metadata[clinic]=north"))).toEqual([b, a]);
    expect(await ids(await q("metadata[clinic]=north&metadata[order_id]=A-1002"))).toEqual([b]);
    expect(await ids(await q("metadata[clinic]=NORTH"))).toEqual([]);
    // A key with quotes or JSON-path characters is a plain key, never a path.
    expect(await ids(await q(`metadata[${encodeURIComponent('a"].$x')}]=1`))).toEqual([]);
    expect(await ids(await q("metadata[order_id]=A-1001&limit=1"))).toEqual([a]);
  });

  it("refuses metadata filters beyond the metadata limits", async () => {
    const account = await createTestAccount();
    await expectProblem(await api(`/v1/faxes?metadata[${"k".repeat(41)}]=1`, { key: account.key }), 422, "request.invalid");
    await expectProblem(await api(`/v1/faxes?metadata[]=1`, { key: account.key }), 422, "request.invalid");
    await expectProblem(await api(`/v1/faxes?metadata[a]=${"v".repeat(501)}`, { key: account.key }), 422, "request.invalid");
    const six = Array.from({ length: 6 }, (_, i) => `metadata[k${i}]=v`).join("&");
    await expectProblem(await api(`/v1/faxes?${six}`, { key: account.key }), 422, "request.invalid");
  });

  it("fuzzed metadata filters only ever answer 200 or a 422 problem", async () => {
    const account = await createTestAccount();
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0);
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(next() % 0x2ff)).join("");
    for (let i = 0; i < 150; i++) {
      const params = new URLSearchParams();
      for (let j = 0; j < next() % 8; j++) params.append(next() % 4 === 0 ? `metadata[${text(next() % 50)}` : `metadata[${text(next() % 50)}]`, text(next() % 600));
      const res = await api(`/v1/faxes?${params}`, { key: account.key });
      expect([200, 422], `${params}`).toContain(res.status);
      if (res.status === 422) expect((await res.json<{ code: string }>()).code).toBe("request.invalid");
      else await res.body?.cancel();
    }
  });

  it("GET /v1/numbers?label= lists only the numbers with that label", async () => {
    const account = await createTestAccount();
    const create = async (label: string) => (await (await api("/v1/numbers", { method: "POST", key: account.key, json: { label } })).json<{ id: string }>()).id;
    const desk = await create("Front desk");
    await create("Lab");
    expect(await ids(await api(`/v1/numbers?label=${encodeURIComponent("Front desk")}`, { key: account.key }))).toEqual([desk]);
    expect(await ids(await api("/v1/numbers?label=front%20desk", { key: account.key }))).toEqual([]);
  });
});
