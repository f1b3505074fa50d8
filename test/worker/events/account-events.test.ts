// The account-level outbox (events: issue 13 point 3): number.provisioned and number.released reach a
// subscribed endpoint signed and once, and an event whose publish was lost is published by the cron.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../../src/worker";
import { api, createTestAccount, expectProblem } from "../helpers";
import { createEndpoint, newReceiver, verified, waitFor } from "../webhooks/receiver";

const settle = () => new Promise((r) => setTimeout(r, 300));

async function accountEventRows(accountId: string) {
  const { results } = await env.DB.prepare("SELECT id, type, mode, published_at FROM account_events WHERE account_id = ? ORDER BY id")
    .bind(accountId)
    .all<{ id: string; type: string; mode: string | null; published_at: string | null }>();
  return results;
}

describe("account events", () => {
  it("sends number.provisioned and number.released, signed, once each", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url(), event_types: ["number.provisioned", "number.released"] });

    const created = await api("/v1/numbers", { method: "POST", key: account.key, json: { label: "Front desk" } });
    expect(created.status).toBe(201);
    const number = await created.json<{ id: string; number: string; created_at: string }>();
    const provisioned = verified(endpoint.secret, await waitFor("number.provisioned", () => receiver.requests[0]));
    expect(provisioned).toMatchObject({
      type: "number.provisioned",
      data: { number: { id: number.id, number: number.number, mode: "test", label: "Front desk", created_at: number.created_at, released_at: null } },
    });

    expect((await api(`/v1/numbers/${number.id}`, { method: "DELETE", key: account.key })).status).toBe(200);
    const released = verified(endpoint.secret, await waitFor("number.released", () => receiver.requests[1]));
    expect(released).toMatchObject({ type: "number.released", data: { number: { id: number.id, number: number.number, label: "Front desk" } } });
    expect((released.data.number as { released_at: string }).released_at).toMatch(/^\d{4}-\d\d-\d\dT/);

    // Releasing again changes nothing and reports nothing.
    await expectProblem(await api(`/v1/numbers/${number.id}`, { method: "DELETE", key: account.key }), 404, "number.not_found");
    await settle();
    expect(receiver.requests.map((r) => verified(endpoint.secret, r).type)).toEqual(["number.provisioned", "number.released"]);
    const rows = await accountEventRows(account.accountId);
    expect(rows.map((r) => [r.id, r.type, r.mode])).toEqual([
      [provisioned.id, "number.provisioned", "test"],
      [released.id, "number.released", "test"],
    ]);
    expect(rows.every((r) => r.published_at !== null)).toBe(true);
  });

  it("records one number.released when two releases race", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url(), event_types: ["number.released"] });
    const number = await (await api("/v1/numbers", { method: "POST", key: account.key, json: {} })).json<{ id: string }>();
    const answers = await Promise.all([1, 2, 3].map(() => api(`/v1/numbers/${number.id}`, { method: "DELETE", key: account.key })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404, 404]);
    await waitFor("number.released", () => receiver.requests[0]);
    await settle();
    expect(receiver.requests).toHaveLength(1);
    expect(verified(endpoint.secret, receiver.requests[0]!).data).toMatchObject({ number: { id: number.id } });
    expect((await accountEventRows(account.accountId)).filter((r) => r.type === "number.released")).toHaveLength(1);
  });

  it("publishes from the cron an event recorded with its change whose publish was lost", async () => {
    const account = await createTestAccount();
    const receiver = newReceiver();
    const endpoint = await createEndpoint(account.key, { url: receiver.url() });
    // The worker dies between the D1 batch and the queue: here the queue drops what it is given.
    const lossyQueue = { send: async () => undefined, sendBatch: async () => undefined };
    const request = new Request("https://fax.test/v1/numbers", { method: "POST", headers: { authorization: `Bearer ${account.key}` } });
    const answer = await worker.fetch(request, { ...env, WEBHOOKS: lossyQueue as unknown as Queue }, createExecutionContext());
    expect(answer.status).toBe(201);
    const number = await answer.json<{ id: string }>();
    await settle();
    expect(receiver.requests).toHaveLength(0);
    const [row] = await accountEventRows(account.accountId);
    expect(row).toMatchObject({ type: "number.provisioned", published_at: null });

    // A young event may still be on its way: the sweep leaves it alone until the grace period passes.
    const sweep = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await sweep();
    await settle();
    expect(receiver.requests).toHaveLength(0);
    await env.DB.prepare("UPDATE account_events SET created_at = ? WHERE id = ?").bind(new Date(Date.now() - 120_000).toISOString(), row!.id).run();
    await sweep();
    const delivered = await waitFor("the swept event", () => receiver.requests[0]);
    expect(verified(endpoint.secret, delivered)).toMatchObject({ id: row!.id, type: "number.provisioned", data: { number: { id: number.id } } });
    await waitFor("published_at", async () => (await accountEventRows(account.accountId))[0]!.published_at !== null);
    // Published now: the next sweep sends nothing again.
    await sweep();
    await settle();
    expect(receiver.requests).toHaveLength(1);
  });
});
