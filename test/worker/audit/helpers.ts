/** Helpers of the audit and key tests: keys created through the API, as a user would. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { api } from "../helpers";

export interface ApiKey {
  id: string;
  name: string | null;
  mode: string;
  scope: string;
  key_prefix: string;
  revoked_at: string | null;
}

export async function createKey(key: string, body: Record<string, unknown>): Promise<ApiKey & { key: string }> {
  const res = await api("/v1/api-keys", { method: "POST", key, json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

export type { AuditEntry as AuditEntryLine } from "../../../src/audit/chain";

/** The account's chain as stored (lines in seq order), once at least `count` entries are in it (recording finishes after the response). */
export async function auditLines(accountId: string, count: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await env.DB.prepare("SELECT line FROM audit_events WHERE account_id = ? ORDER BY seq").bind(accountId).all<{ line: string }>();
    if (rows.results.length >= count) return rows.results.map((r) => r.line);
    if (Date.now() > deadline) throw new Error(`${rows.results.length} audit entries after ${timeoutMs} ms, wanted ${count}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
