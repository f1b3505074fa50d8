/**
 * The pages of the review's point 1: the audit log (filters, export), usage and statements, external users
 * and their inboxes, and a received fax's text and extracted fields. Each one reads only the signed-in
 * member's account (another account's data is never shown) and the session's test/live context.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { verifyChain } from "../../../src/audit/chain";
import { database } from "../../../src/db/client";
import { savePageText } from "../../../src/db/fax-text-store";
import type { Fax } from "../../../src/fax/schema";
import { auditLines } from "../audit/helpers";
import { api, pdfDocument, sendFax, waitForFax, waitForFinal } from "../helpers";
import { createPartner, receiveFax } from "../partners/partner-helpers";
import { memberWithRole, page, post } from "./helpers";

describe("the audit log page", () => {
  it("lists the account's entries with who did them, filters them, and exports the chain as JSONL", async () => {
    const owner = await memberWithRole("owner");
    const stranger = await memberWithRole("owner");
    await post("/portal/numbers", owner, { label: "Desk" });
    await post("/portal/keys", owner, { scope: "read" });
    await post("/portal/keys", stranger, { scope: "read" });
    await auditLines(owner.accountId, 2);
    await auditLines(stranger.accountId, 1);
    const all = await (await page("/portal/audit", owner)).text();
    expect(all).toContain("<code>number.provision</code>");
    expect(all).toContain("<code>api_key.create</code>");
    expect(all).toContain(owner.email);
    expect(all).not.toContain(stranger.email);
    const onlyKeys = await (await page("/portal/audit?action=api_key.create", owner)).text();
    expect(onlyKeys).toContain("<code>api_key.create</code>");
    expect(onlyKeys).not.toContain("<code>number.provision</code>");
    const future = await (await page("/portal/audit?from=2999-01-01", owner)).text();
    expect(future).toContain("No entry matches these filters");
    const wrong = await page("/portal/audit?action=drop.tables&from=2026-02-31&actor=%3Cscript%3E", owner);
    expect(wrong.status).toBe(200);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain("There is no action &quot;drop.tables&quot;; it was ignored.");
    expect(wrongHtml).toContain("&quot;from&quot; must be a day such as 2026-11-01");
    expect(wrongHtml).not.toContain("<script>");
    expect(wrongHtml).toContain("<code>number.provision</code>");

    const exported = await page("/portal/audit/export", owner);
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toBe("application/jsonl; charset=utf-8");
    expect(exported.headers.get("content-disposition")).toBe(`attachment; filename="audit-${owner.accountId}.jsonl"`);
    const lines = (await exported.text()).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(verifyChain(lines)).toMatchObject({ ok: true });
    expect(lines.every((l) => JSON.parse(l).actor.id === owner.memberId)).toBe(true);
    expect((await page("/portal/audit/export?from=2999-01-01", owner)).headers.get("content-length") ?? "0").toBe("0");
  });
});

describe("usage and statements", () => {
  it("charts and tables the account's pages in the session's mode, and shows this month's statement", async () => {
    const m = await memberWithRole("billing", { withNumber: true });
    const other = await memberWithRole("billing", { withNumber: true });
    const numbers = await (await api("/v1/numbers", { key: m.key })).json<{ data: Array<{ number: string }> }>();
    const sent = await (await sendFax(m.key, { from: numbers.data[0]!.number, to: "+15550100001", documents: [await pdfDocument(2)] })).json<{ id: string }>();
    expect((await waitForFinal(m.key, sent.id)).status).toBe("delivered");
    const html = await (await page("/portal/usage", m)).text();
    expect(html).toMatch(/id="pages-sent">\s*2\s*</);
    expect(html).toContain('<svg viewBox="0 0 720 240" role="img"');
    expect(html).toContain("pages sent: 2, pages received: 0.");
    const today = new Date().toISOString().slice(0, 10);
    expect(html).toContain(`<td>${today}</td><td>1</td><td>2</td>`);
    const byNumber = await (await page("/portal/usage?group_by=number", m)).text();
    expect(byNumber).toContain(`<td>${numbers.data[0]!.number}</td>`);
    expect(await (await page("/portal/usage", other)).text()).toMatch(/id="pages-sent">\s*0\s*</);
    await post("/portal/mode", m, { mode: "live" });
    expect(await (await page("/portal/usage", m)).text()).toMatch(/id="pages-sent">\s*0\s*</);
    await post("/portal/mode", m, { mode: "test" });
    const statements = await (await page("/portal/statements", m)).text();
    expect(statements).toContain(`${today.slice(0, 7)}, so far`);
    expect(statements).toContain(numbers.data[0]!.number);
    expect(statements).toContain("Pages sent: 2");
    expect(statements).toContain("No month has closed yet");
  });
});

describe("external users and their inboxes", () => {
  it("lists the partner's users with their numbers, and each inbox with its faxes; another account's user is not found", async () => {
    const partner = await createPartner(["patient-1", "patient-2"]);
    const m = await memberWithRole("developer", { accountId: partner.accountId, key: partner.key });
    const stranger = await memberWithRole("owner");
    const faxId = await receiveFax(partner.users["patient-1"]!.number, "+14155550123");
    const list = await (await page("/portal/external-users", m)).text();
    expect(list).toContain("<code>patient-1</code>");
    expect(list).toContain(`${partner.users["patient-2"]!.number} (personal)`);
    const inbox = await (await page("/portal/external-users/patient-1", m)).text();
    expect(inbox).toContain(`href="/portal/faxes/${faxId}"`);
    expect(inbox).toContain("+14155550123");
    expect(await (await page("/portal/external-users/patient-2", m)).text()).not.toContain(faxId);
    expect((await page("/portal/external-users/patient-1", stranger)).status).toBe(404);
    expect(await (await page("/portal/external-users", stranger)).text()).not.toContain("patient-1");
    // Numbers grouped by tier, each with its user.
    const numbers = await (await page("/portal/numbers", m)).text();
    expect(numbers).toContain('<h2 id="tier-personal">Personal tier (2)</h2>');
    expect(numbers).toContain('<a href="/portal/external-users/patient-2">patient-2</a>');
  });

  it("shows a received fax's text per page and its extracted fields, and records reading them", async () => {
    const partner = await createPartner(["clinic"]);
    const m = await memberWithRole("admin", { accountId: partner.accountId, key: partner.key });
    const faxId = await receiveFax(partner.users["clinic"]!.number, "+14155550199", 2);
    // Wait for the pipeline to settle (no OCR engine here: reading fails, extraction is skipped, fax.received
    // is sent), then store what an engine would have read, so nothing the pipeline writes later overwrites it.
    await waitForFax(partner.key, faxId, (f) => f.ocr?.status !== undefined && f.ocr.status !== "pending" && f.extraction?.status !== undefined && f.extraction.status !== "pending", 30_000);
    const settled = Date.now() + 30_000;
    for (;;) {
      const events = await (await api(`/v1/faxes/${faxId}/events`, { key: partner.key })).json<{ data: Array<{ type: string }> }>();
      if (events.data.some((e) => e.type === "fax.received")) break;
      if (Date.now() > settled) throw new Error("fax.received was never sent");
      await new Promise((r) => setTimeout(r, 100));
    }
    const db = database(env.DB);
    const now = new Date().toISOString();
    await db.$client.prepare("DELETE FROM fax_page_texts WHERE account_id = ? AND fax_id = ?").bind(partner.accountId, faxId).run();
    await savePageText(db, { accountId: partner.accountId, faxId, page: 1, status: "done", text: "Patient: Ada Lovelace\nDOB 1815-12-10", confidence: 93.4, flagged: false, engine: "tesseract", createdAt: now });
    await savePageText(db, { accountId: partner.accountId, faxId, page: 2, status: "done", text: "Signature <b>here</b>", confidence: 61, flagged: true, engine: "tesseract", createdAt: now });
    const extraction: Fax["extraction"] = { status: "done", data: { patient_name: "Ada Lovelace", born: "1815-12-10", allergies: ["penicillin"], insured: null }, schema_version: "sch_1", detail: null, completed_at: now };
    await db.$client.prepare("UPDATE faxes SET body = json_set(body, '$.extraction', json(?)) WHERE account_id = ? AND id = ?").bind(JSON.stringify(extraction), partner.accountId, faxId).run();
    const html = await (await page(`/portal/faxes/${faxId}`, m)).text();
    expect(html).toContain("Page 1 <span class=\"hint\">(confidence 93, tesseract)</span>");
    expect(html).toContain("Patient: Ada Lovelace\nDOB 1815-12-10");
    expect(html).toContain("(confidence 61, low: check the page image, tesseract)");
    expect(html).toContain("Signature &lt;b&gt;here&lt;/b&gt;");
    expect(html).toContain("<dt>patient_name</dt><dd>Ada Lovelace</dd>");
    expect(html).toContain('<dt>allergies</dt><dd>[&quot;penicillin&quot;]</dd>');
    expect(html).toContain("<dt>insured</dt><dd>—</dd>");
    // The page's four entries (page links, document link, text, fields) are written after the response.
    const byMember = async () => (await auditLines(partner.accountId, 1)).map((l) => JSON.parse(l) as { action: string; actor: { type: string; id: string } }).filter((e) => e.actor.type === "user");
    const deadline = Date.now() + 10_000;
    while ((await byMember()).length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const actions = await byMember();
    expect(actions.map((e) => e.action).sort()).toEqual(["fax.issue_document_link", "fax.issue_page_link", "fax.read_extraction", "fax.read_text"]);
    expect(actions.every((e) => e.actor.id === m.memberId)).toBe(true);
    const stranger = await memberWithRole("owner");
    expect((await page(`/portal/faxes/${faxId}`, stranger)).status).toBe(404);
  });
});
