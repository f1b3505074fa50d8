import { describe, expect, it } from "vitest";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax } from "./helpers";

describe("Idempotency-Key", () => {
  it("creates exactly one fax from 50 parallel POSTs with one key", async () => {
    const account = await createTestAccount();
    const body = { to: "+15550100001", documents: [await pdfDocument()] };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => sendFax(account.key, body, { "idempotency-key": "parallel-1" })),
    );
    const statuses = responses.map((r) => r.status);
    // The first creates (202); the others either wait-and-retry (409) or get the stored 202 replayed.
    expect(statuses.filter((s) => s !== 202 && s !== 409), JSON.stringify(await Promise.all(responses.filter((r) => r.status !== 202 && r.status !== 409).map((r) => r.clone().text())))).toEqual([]);
    const created = await Promise.all(responses.filter((r) => r.status === 202).map((r) => r.json<{ id: string }>()));
    expect(new Set(created.map((f) => f.id)).size).toBe(1);
    for (const r of responses.filter((r) => r.status === 409)) await expectProblem(r, 409, "idempotency.in_flight");

    const list = await (await api("/v1/faxes?limit=100", { key: account.key })).json<{ data: { id: string }[] }>();
    expect(list.data.length).toBe(1);
    // After the first finished, a retry gets its response back.
    const replay = await sendFax(account.key, body, { "idempotency-key": "parallel-1" });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await replay.json<{ id: string }>()).id).toBe(list.data[0]!.id);
  });

  it("refuses the same key with a different body (422)", async () => {
    const account = await createTestAccount();
    const first = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] }, { "idempotency-key": "k-2" });
    expect(first.status).toBe(202);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const second = await sendFax(account.key, { to: "+15550100003", documents: [await pdfDocument()] }, { "idempotency-key": "k-2" });
    await expectProblem(second, 422, "idempotency.key_reused");
  });

  it("scopes keys to the account", async () => {
    const a = await createTestAccount();
    const b = await createTestAccount();
    const body = { to: "+15550100001", documents: [await pdfDocument()] };
    const fa = await (await sendFax(a.key, body, { "idempotency-key": "shared" })).json<{ id: string }>();
    const rb = await sendFax(b.key, body, { "idempotency-key": "shared" });
    expect(rb.status).toBe(202);
    expect(rb.headers.get("idempotent-replayed")).toBeNull();
    expect((await rb.json<{ id: string }>()).id).not.toBe(fa.id);
  });

  it("replays stored errors too, and rejects malformed keys", async () => {
    const account = await createTestAccount();
    const bad = await sendFax(account.key, { to: "12" }, { "idempotency-key": "err-1" });
    await expectProblem(bad, 422, "fax.recipient.invalid");
    const again = await sendFax(account.key, { to: "12" }, { "idempotency-key": "err-1" });
    expect(again.status).toBe(422);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    await expectProblem(await sendFax(account.key, { to: "+15550100001" }, { "idempotency-key": "x".repeat(256) }), 400, "idempotency.key_invalid");
  });

  it("covers other POSTs as well (numbers)", async () => {
    const account = await createTestAccount();
    const headers = { "idempotency-key": "num-1" };
    const one = await api("/v1/numbers", { method: "POST", key: account.key, json: { label: "Desk" }, headers });
    const two = await api("/v1/numbers", { method: "POST", key: account.key, json: { label: "Desk" }, headers });
    expect(one.status).toBe(201);
    expect(two.status).toBe(201);
    expect(two.headers.get("idempotent-replayed")).toBe("true");
    expect((await two.json<{ id: string }>()).id).toBe((await one.json<{ id: string }>()).id);
  });
});
