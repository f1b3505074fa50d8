import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { canonicalJson, verifyChain, type AuditEntry } from "../../../src/audit/chain";
import { checkpointSignatureValid, type Checkpoint } from "../../../src/audit/checkpoint";
import { writeDailyCheckpoints } from "../../../src/audit/maintenance";
import { api, createTestAccount, expectProblem } from "../helpers";
import { auditLines, createKey } from "./helpers";

/** An account with `n` audit entries (key creations), all appended. */
async function accountWithEntries(n: number) {
  const account = await createTestAccount();
  const keys = [];
  for (let i = 0; i < n; i++) keys.push(await createKey(account.key, { name: `k${i}`, scope: "read" }));
  await auditLines(account.accountId, n);
  return { account, keys };
}

async function exportLines(key: string, query = ""): Promise<string[]> {
  const res = await api(`/v1/audit-events/export${query}`, { key });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("application/jsonl");
  const text = await res.text();
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n");
}

describe("GET /v1/audit-events", () => {
  it("lists newest first, filters by action, actor, target and time, and pages with a cursor", async () => {
    const { account, keys } = await accountWithEntries(5);
    expect((await api(`/v1/api-keys/${keys[0]!.id}`, { method: "DELETE", key: account.key })).status).toBe(200);
    await auditLines(account.accountId, 6);
    const all = await (await api("/v1/audit-events", { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(all.data.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);

    const revoked = await (await api("/v1/audit-events?action=api_key.revoke", { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(revoked.data.map((e) => [e.action, e.target.id])).toEqual([["api_key.revoke", keys[0]!.id]]);
    const byTarget = await (await api(`/v1/audit-events?target=${keys[0]!.id}`, { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(byTarget.data.map((e) => e.action)).toEqual(["api_key.revoke", "api_key.create"]);
    const byActor = await (await api(`/v1/audit-events?actor=${account.keyId}&limit=100`, { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(byActor.data).toHaveLength(6);
    expect((await (await api(`/v1/audit-events?actor=${keys[1]!.id}`, { key: account.key })).json<{ data: AuditEntry[] }>()).data).toEqual([]);

    const third = all.data.find((e) => e.seq === 3)!;
    const since = await (await api(`/v1/audit-events?from=${encodeURIComponent(third.occurred_at)}`, { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(since.data.every((e) => e.occurred_at >= third.occurred_at)).toBe(true);
    expect(since.data.map((e) => e.seq)).toContain(3);
    const before = await (await api(`/v1/audit-events?to=${encodeURIComponent(third.occurred_at)}`, { key: account.key })).json<{ data: AuditEntry[] }>();
    expect(before.data.every((e) => e.occurred_at < third.occurred_at)).toBe(true);

    const first = await (await api("/v1/audit-events?limit=4", { key: account.key })).json<{ data: AuditEntry[]; has_more: boolean; next_cursor: string }>();
    expect(first.has_more).toBe(true);
    const second = await (await api(`/v1/audit-events?limit=4&cursor=${first.next_cursor}`, { key: account.key })).json<{ data: AuditEntry[]; has_more: boolean }>();
    expect([...first.data, ...second.data].map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(second.has_more).toBe(false);

    await expectProblem(await api("/v1/audit-events?action=made.up", { key: account.key }), 422, "request.invalid");
    await expectProblem(await api("/v1/audit-events?from=yesterday", { key: account.key }), 422, "request.invalid");
  });

  it("shows only the caller's account", async () => {
    const a = await accountWithEntries(2);
    const b = await createTestAccount();
    expect((await (await api("/v1/audit-events", { key: b.key })).json<{ data: unknown[] }>()).data).toEqual([]);
    expect(await (await api("/v1/audit-events/export", { key: b.key })).text()).toBe("");
    expect((await (await api("/v1/audit-events", { key: a.account.key })).json<{ data: unknown[] }>()).data).toHaveLength(2);
  });
});

describe("export and verification", () => {
  it("the export verifies, and a changed, removed or reordered line is named by its seq", async () => {
    const { account } = await accountWithEntries(6);
    const lines = await exportLines(account.key);
    expect(lines).toHaveLength(6);
    expect(verifyChain(lines)).toMatchObject({ ok: true, entries: 6, first_seq: 1 });

    const changed = [...lines];
    const entry = JSON.parse(changed[3]!) as AuditEntry;
    changed[3] = canonicalJson({ ...entry, target: { ...entry.target, id: "key_00000000000000000000000000" } });
    expect(verifyChain(changed)).toMatchObject({ ok: false, seq: 4 });
    // A forger who also recomputes that entry's hash breaks the next link instead.
    const { hash: _h, ...rest } = JSON.parse(changed[3]!) as AuditEntry;
    const { entryHash } = await import("../../../src/audit/chain");
    changed[3] = canonicalJson({ ...rest, hash: entryHash(rest) });
    expect(verifyChain(changed)).toMatchObject({ ok: false, seq: 5 });

    expect(verifyChain([...lines.slice(0, 2), ...lines.slice(3)])).toMatchObject({ ok: false, seq: 3 });
    expect(verifyChain([lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)])).toMatchObject({ ok: false, seq: 2 });
    expect(verifyChain(lines.slice(1))).toMatchObject({ ok: true, first_seq: 2 });
    expect(verifyChain([lines[0]!.replace("{", "{ ")])).toMatchObject({ ok: false, seq: 1 });
  });

  it("a time range exports a whole stretch of the chain", async () => {
    const { account } = await accountWithEntries(5);
    const entries = (await exportLines(account.key)).map((l) => JSON.parse(l) as AuditEntry);
    const from = entries[1]!.occurred_at;
    const to = entries[4]!.occurred_at;
    const part = await exportLines(account.key, `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    const seqs = part.map((l) => (JSON.parse(l) as AuditEntry).seq);
    expect(seqs[0]).toBeLessThanOrEqual(2);
    expect(seqs.at(-1)).toBeLessThanOrEqual(4);
    expect(verifyChain(part)).toMatchObject({ ok: true });
  });

  it("a daily signed checkpoint makes a cut tail detectable", async () => {
    const { account } = await accountWithEntries(4);
    await expectProblem(await api("/v1/audit-events/checkpoint", { key: account.key }), 404, "audit.no_checkpoint");
    const now = Date.now();
    expect(await writeDailyCheckpoints(env, now)).toBeGreaterThanOrEqual(1);
    // Once a day: the next run the same day signs nothing for this account.
    await writeDailyCheckpoints(env, now + 1000);
    const stored = await env.DOCUMENTS.list({ prefix: `audit/${account.accountId}/checkpoints/` });
    expect(stored.objects.map((o) => o.key)).toEqual([`audit/${account.accountId}/checkpoints/${new Date(now).toISOString().slice(0, 10)}.json`]);

    const checkpoint = await (await api("/v1/audit-events/checkpoint", { key: account.key })).json<Checkpoint>();
    expect(checkpoint).toMatchObject({ account_id: account.accountId, seq: 4 });
    expect(await checkpointSignatureValid(checkpoint)).toBe(true);
    expect(await checkpointSignatureValid({ ...checkpoint, seq: 3 })).toBe(false);

    const lines = await exportLines(account.key);
    expect(verifyChain(lines, checkpoint)).toMatchObject({ ok: true });
    expect(verifyChain(lines.slice(0, 2), checkpoint)).toMatchObject({ ok: false, seq: 3 });
    // Without the checkpoint, the cut chain looks whole: that is what the checkpoint is for.
    expect(verifyChain(lines.slice(0, 2))).toMatchObject({ ok: true });

    // The next day's checkpoint covers entries added since.
    await createKey(account.key, { scope: "read" });
    await auditLines(account.accountId, 5);
    await writeDailyCheckpoints(env, now + 24 * 3600_000);
    expect((await (await api("/v1/audit-events/checkpoint", { key: account.key })).json<Checkpoint>()).seq).toBe(5);
  });

  it("the export streams large chains", async () => {
    const account = await createTestAccount();
    await Promise.all(Array.from({ length: 60 }, (_, i) => api("/v1/api-keys", { method: "POST", key: account.key, json: { name: `k${i}`, scope: "read" } })));
    await auditLines(account.accountId, 60);
    const res = await SELF.fetch("https://fax.test/v1/audit-events/export", { headers: { authorization: `Bearer ${account.key}` } });
    const lines = (await res.text()).trimEnd().split("\n");
    expect(verifyChain(lines)).toMatchObject({ ok: true, entries: 60 });
  });
});
