/**
 * Every API read that shows a received fax's extracted fields records fax.read_extraction, one entry per fax
 * shown, targeting the fax (issue 14 point 2 of session 3, issue 17's audit): the lists (GET /v1/faxes, GET
 * /v1/faxes/received and its search), an external user's inbox (list, search, marking read), the timeline, the
 * fax and the account event streams. GET /v1/faxes/{id}/text shows no extracted fields and records only
 * fax.read_text. Each request carries its own user agent, so the entries say which request made them.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../../src/audit/chain";
import { auditLines } from "../audit/helpers";
import { SseReader } from "../events/sse";
import { api } from "../helpers";
import { createPartner } from "../partners/partner-helpers";
import { aiText, barsPage, FakeAi, receiveFax, restoreEnv, useEnv, waitForExtraction } from "./fixtures";

const SCHEMA = { type: "object", properties: { patient_name: { type: "string" } } };

afterEach(() => restoreEnv());

async function entriesBy(accountId: string, agents: string[], minimum: number): Promise<AuditEntry[]> {
  const mine = (lines: string[]) => lines.map((l) => JSON.parse(l) as AuditEntry).filter((e) => agents.includes(e.user_agent ?? ""));
  for (let i = 0; i < 400; i++) {
    const found = mine(await auditLines(accountId, 1));
    if (found.length >= minimum) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${minimum} audit entries from ${agents.join(", ")}`);
}

describe("reading extracted fields through the API", () => {
  it("records fax.read_extraction for each fax every list, inbox, timeline and stream shows, and nothing more", async () => {
    const partner = await createPartner(["u-1"], "live");
    const number = partner.users["u-1"]!.number;
    expect((await api("/v1/settings", { method: "PATCH", key: partner.key, json: { extraction_schema: SCHEMA } })).status).toBe(200);
    useEnv({ OCR_PROVIDER: "workers-ai", AI: new FakeAi((call) => aiText(call.inputs.response_format ? { patient_name: "Jane Doe" } : "Patient Name: Jane Doe")) });
    const [a, b] = [await receiveFax(number, [{ bitmap: barsPage(1728, 600, 81), yResolution: 196 }]), await receiveFax(number, [{ bitmap: barsPage(1728, 600, 82), yResolution: 196 }])];
    for (const id of [a, b]) expect((await waitForExtraction(partner.key, id)).extraction?.data).toEqual({ patient_name: "Jane Doe" });

    const as = (agent: string) => ({ key: partner.key, headers: { "user-agent": agent } });
    const reads: [string, () => Promise<Response>, string[]][] = [
      ["list", () => api("/v1/faxes", as("list")), [a, b]],
      ["received", () => api("/v1/faxes/received", as("received")), [a, b]],
      ["search", () => api("/v1/faxes/received?search_text=Jane", as("search")), [a, b]],
      ["inbox", () => api("/v1/external-users/u-1/inbox", as("inbox")), [a, b]],
      ["inbox-search", () => api("/v1/external-users/u-1/inbox?q=Jane", as("inbox-search")), [a, b]],
      ["mark-read", () => api(`/v1/external-users/u-1/inbox/${a}`, { ...as("mark-read"), method: "PATCH", json: { read: true } }), [a]],
      ["timeline", () => api(`/v1/faxes/${b}/events`, as("timeline")), [b]],
      ["fax", () => api(`/v1/faxes/${a}`, as("fax")), [a]],
      ["text", () => api(`/v1/faxes/${a}/text`, as("text")), []],
    ];
    for (const [agent, read] of reads) expect((await read()).status, agent).toBe(200);

    // The fax stream replays a's timeline (fax.extracted and the fax snapshots after it): one entry for a.
    const faxStream = new SseReader(await api(`/v1/faxes/${a}/stream`, as("fax-stream")));
    await faxStream.until(() => false, 20_000);
    expect(faxStream.events().map((f) => f.event)).toContain("fax.extracted");
    // The account stream shows the extraction of a fax received while it is open: one entry for c.
    const accountStream = new SseReader(await api("/v1/events/stream", as("account-stream")));
    await accountStream.until((frames) => frames.some((f) => f.comment !== undefined));
    const c = await receiveFax(number, [{ bitmap: barsPage(1728, 600, 83), yResolution: 196 }]);
    await accountStream.until((frames) => frames.some((f) => f.event === "fax.extracted" && JSON.parse(f.data!).data.fax.id === c), 20_000);
    await accountStream.drop();

    const expected: [string, string[]][] = [...reads.map(([agent, , ids]): [string, string[]] => [agent, ids]), ["fax-stream", [a]], ["account-stream", [c]]];
    const agents = expected.map(([agent]) => agent);
    const total = expected.reduce((n, [, ids]) => n + ids.length, 0) + 2; // + fax.read_text and mark_read
    let entries = await entriesBy(partner.accountId, agents, total);
    // …and nothing more arrives.
    await new Promise((r) => setTimeout(r, 300));
    entries = await entriesBy(partner.accountId, agents, total);
    const extractionReads = entries.filter((e) => e.action === "fax.read_extraction");
    for (const [agent, ids] of expected) {
      const targets = extractionReads.filter((e) => e.user_agent === agent).map((e) => e.target);
      expect(targets.map((t) => t.id).sort(), agent).toEqual([...ids].sort());
      expect(targets.every((t) => t.type === "fax"), agent).toBe(true);
    }
    expect(extractionReads.every((e) => e.actor.type === "api_key" && e.actor.id === partner.keyId)).toBe(true);
    expect(entries.filter((e) => e.action !== "fax.read_extraction").map((e) => [e.user_agent, e.action]).sort()).toEqual([
      ["mark-read", "external_user.mark_read"],
      ["text", "fax.read_text"],
    ]);
  }, 60_000);
});
