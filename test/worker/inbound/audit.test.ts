/**
 * Reading a received fax's contents is audited (issue 17 point 2, for issue 14's data): its text
 * (fax.read_text) and the fields extracted from it (fax.read_extraction, when GET /v1/faxes/{id} shows them).
 * A fax without extracted data is metadata, whose reads are not recorded.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AuditEntry } from "../../../src/audit/chain";
import { auditLines } from "../audit/helpers";
import { api, createTestAccount } from "../helpers";
import { barsPage, fakeOcrService, receiveFax, restoreEnv, waitForExtraction } from "./fixtures";

afterEach(() => {
  restoreEnv();
  vi.restoreAllMocks();
});

describe("reading a received fax's contents", () => {
  it("records fax.read_text and fax.read_extraction with the caller, and nothing for a fax without extracted data", async () => {
    const account = await createTestAccount("live");
    const numbers = await (await api("/v1/numbers", { key: account.key })).json<{ data: { id: string; number: string }[] }>();
    const numberId = numbers.data.find((n) => n.number === account.number)!.id;
    fakeOcrService(() => Response.json({ text: "PATIENT: Ann Lee\nDOB: 01/02/1990", confidence: 93, engine: "tesseract.js test", ms: 2 }));
    // Before any schema: the fax is read but nothing is extracted (extraction.data null).
    const plain = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 31), yResolution: 196 }]);
    expect((await waitForExtraction(account.key, plain)).extraction).toMatchObject({ status: "skipped", data: null });
    const schema = { type: "object", properties: { patient_name: { type: "string" }, date_of_birth: { type: "string", format: "date" } } };
    expect((await api(`/v1/numbers/${numberId}/extraction-schema`, { method: "PUT", key: account.key, json: { extraction_schema: schema } })).status).toBe(200);
    const extracted = await receiveFax(account.number, [{ bitmap: barsPage(1728, 800, 32), yResolution: 196 }]);
    expect((await waitForExtraction(account.key, extracted)).extraction?.data).toEqual({ patient_name: "Ann Lee", date_of_birth: "1990-01-02" });

    const headers = { "cf-connecting-ip": "203.0.113.9" };
    expect((await api(`/v1/faxes/${plain}`, { key: account.key, headers })).status).toBe(200);
    expect((await api(`/v1/faxes/${extracted}`, { key: account.key, headers })).status).toBe(200);
    expect((await api(`/v1/faxes/${extracted}/text`, { key: account.key, headers })).status).toBe(200);

    // Waiting for the extraction read the fax too (recorded, without this address). Recording finishes after
    // each response, so entries may land in either order and a little later.
    let entries: AuditEntry[] = [];
    for (let i = 0; i < 200 && entries.length < 2; i++) {
      entries = (await auditLines(account.accountId, 1)).map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.ip === "203.0.113.9");
      if (entries.length < 2) await new Promise((r) => setTimeout(r, 25));
    }
    // …and nothing more arrives: the plain fax's read was not recorded.
    await new Promise((r) => setTimeout(r, 300));
    entries = (await auditLines(account.accountId, 1)).map((l) => JSON.parse(l) as AuditEntry).filter((e) => e.ip === "203.0.113.9");
    expect(entries.map((e) => [e.action, e.actor.type, e.actor.id, e.target.id, e.ip]).sort()).toEqual([
      ["fax.read_extraction", "api_key", account.keyId, extracted, "203.0.113.9"],
      ["fax.read_text", "api_key", account.keyId, extracted, "203.0.113.9"],
    ]);
  });
});
