import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signObjectUrl } from "../../src/lib/signed-url";
import { api, createTestAccount, expectProblem, makePdf, pdfDocument, sendFax, waitForFax, waitForFinal } from "./helpers";

describe("scheduling and canceling", () => {
  it("waits for send_at, then sends", async () => {
    const account = await createTestAccount();
    // Far enough ahead that a busy machine still reads it scheduled before it is due.
    const sendAt = new Date(Date.now() + 4000).toISOString();
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: sendAt })).json<{ id: string; status: string; send_at: string }>();
    expect(fax.status).toBe("scheduled");
    expect(fax.send_at).toBe(sendAt);
    expect((await (await api(`/v1/faxes/${fax.id}`, { key: account.key })).json<{ status: string }>()).status).toBe("scheduled");
    const listed = await (await api(`/v1/faxes?status=scheduled`, { key: account.key })).json<{ data: { id: string }[] }>();
    expect(listed.data.map((f) => f.id)).toEqual([fax.id]);
    const done = await waitForFinal(account.key, fax.id);
    expect(done.status).toBe("delivered");
    expect(Date.parse(done.completed_at!)).toBeGreaterThanOrEqual(Date.parse(sendAt));
    const events = (await (await api(`/v1/faxes/${fax.id}/events`, { key: account.key })).json<{ data: { type: string; created_at: string }[] }>()).data;
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(["fax.scheduled", "fax.queued", "fax.sending"]);
    // fax.queued goes out when send_at comes, not before.
    expect(Date.parse(events[1]!.created_at)).toBeGreaterThanOrEqual(Date.parse(sendAt) - 250);
  });

  it("refuses a send_at in the past beyond 60 s of clock skew, and sends one within it now", async () => {
    const account = await createTestAccount();
    const stale = new Date(Date.now() - 5 * 60_000).toISOString();
    const problem = await expectProblem(await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: stale }), 422, "request.invalid");
    expect(problem.errors).toEqual([{ pointer: "/send_at", detail: "must not be in the past (up to 60 s of clock skew is allowed)" }]);
    const skewed = new Date(Date.now() - 20_000).toISOString();
    const res = await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: skewed });
    expect(res.status).toBe(202);
    const fax = await res.json<{ id: string; status: string }>();
    expect(fax.status).toBe("queued");
    expect((await waitForFinal(account.key, fax.id)).status).toBe("delivered");
  });

  it("cancels a scheduled fax, and refuses to cancel a delivered one", async () => {
    const account = await createTestAccount();
    const scheduled = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: new Date(Date.now() + 3600_000).toISOString() })).json<{ id: string }>();
    const canceled = await api(`/v1/faxes/${scheduled.id}`, { key: account.key, method: "DELETE" });
    expect(canceled.status).toBe(200);
    const body = await canceled.json<{ status: string; error: { code: string } }>();
    expect(body.status).toBe("canceled");
    expect(body.error.code).toBe("fax.canceled");
    const events = (await (await api(`/v1/faxes/${scheduled.id}/events`, { key: account.key })).json<{ data: { type: string }[] }>()).data.map((e) => e.type);
    expect(events).toEqual(["fax.scheduled", "fax.canceled"]);

    const sent = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, sent.id);
    await expectProblem(await api(`/v1/faxes/${sent.id}`, { key: account.key, method: "DELETE" }), 409, "fax.not_cancelable");
  });
});

describe("resend", () => {
  it("creates a new fax linked to the original with the same document", async () => {
    const account = await createTestAccount();
    const original = await (await sendFax(account.key, { to: "+15550100009", documents: [await pdfDocument(3)], metadata: { ref: "A1" } })).json<{ id: string }>();
    await waitForFinal(account.key, original.id);
    const res = await api(`/v1/faxes/${original.id}/resend`, { key: account.key, method: "POST" });
    expect(res.status).toBe(202);
    const copy = await res.json<{ id: string; resent_from: string; page_count: number; to: string; metadata: Record<string, string> }>();
    expect(copy.id).not.toBe(original.id);
    expect(copy.resent_from).toBe(original.id);
    expect(copy.page_count).toBe(3);
    expect(copy.metadata).toEqual({ ref: "A1" });
  });

  it("refuses to resend a fax that is still queued", async () => {
    const account = await createTestAccount();
    const later = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: new Date(Date.now() + 3600_000).toISOString() })).json<{ id: string }>();
    await expectProblem(await api(`/v1/faxes/${later.id}/resend`, { key: account.key, method: "POST" }), 409, "fax.not_resendable");
  });
});

describe("listing", () => {
  it("pages with cursors and filters by status, to and time", async () => {
    const account = await createTestAccount();
    const ids: string[] = [];
    for (const to of ["+15550100001", "+15550100001", "+15550100009", "+15550100001", "+15550100009"]) {
      ids.push((await (await sendFax(account.key, { to, documents: [await pdfDocument()] })).json<{ id: string }>()).id);
    }
    for (const id of ids) await waitForFinal(account.key, id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; has_more: boolean; next_cursor: string | null } = await (await api(`/v1/faxes?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { key: account.key })).json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((f) => f.id));
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const failed = await (await api("/v1/faxes?status=failed", { key: account.key })).json<{ data: { id: string }[] }>();
    expect(failed.data.map((f) => f.id)).toEqual([ids[4], ids[2]]);
    const byTo = await (await api(`/v1/faxes?to=${encodeURIComponent("+15550100009")}&direction=outbound`, { key: account.key })).json<{ data: unknown[] }>();
    expect(byTo.data.length).toBe(2);
    const future = await (await api(`/v1/faxes?created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: account.key })).json<{ data: unknown[] }>();
    expect(future.data).toEqual([]);
    await expectProblem(await api("/v1/faxes?cursor=bm90LWEtY3Vyc29y", { key: account.key }), 400, "request.cursor_invalid");
    await expectProblem(await api("/v1/faxes?limit=1000", { key: account.key }), 422, "request.invalid");
    await expectProblem(await api("/v1/faxes?status=lost", { key: account.key }), 422, "request.invalid");
  });
});

describe("the document behind a signed URL", () => {
  it("serves the merged PDF, and refuses tampered and expired links", async () => {
    const account = await createTestAccount();
    const pdf = await makePdf(2);
    const fax = await (await sendFax(account.key, { to: "+15550100001", documents: [{ content: btoa(String.fromCharCode(...pdf)), content_type: "application/pdf" }] })).json<{ id: string }>();
    const link = await (await api(`/v1/faxes/${fax.id}/document`, { key: account.key })).json<{ url: string; expires_at: string }>();
    expect(Date.parse(link.expires_at)).toBeGreaterThan(Date.now());
    const url = new URL(link.url);
    const ok = await api(url.pathname + url.search);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/pdf");
    const bytes = new Uint8Array(await ok.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 5))).toBe("%PDF-");

    const signature = url.searchParams.get("signature")!;
    const flipped = signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0");
    await expectProblem(await api(`${url.pathname}?expires=${url.searchParams.get("expires")}&signature=${flipped}`), 403, "signed_url.invalid");
    await expectProblem(await api(`${url.pathname}?expires=${Number(url.searchParams.get("expires")) + 3600}&signature=${signature}`), 403, "signed_url.invalid");
    await expectProblem(await api(url.pathname), 403, "signed_url.invalid");
    // Another object's path with this signature is refused too.
    await expectProblem(await api(`${url.pathname.replace(fax.id, "fax_00000000000000000000000000")}${url.search}`), 403, "signed_url.invalid");

    const key = decodeURIComponent(url.pathname.slice("/files/".length));
    const expired = await signObjectUrl("https://fax.test", env.SIGNING_SECRET, key, -10);
    const expiredUrl = new URL(expired.url);
    await expectProblem(await api(expiredUrl.pathname + expiredUrl.search), 410, "signed_url.expired");
  });
});

describe("live mode without a gateway", () => {
  it("fails with a clear, retryable gateway.unavailable, never a silent success", async () => {
    const account = await createTestAccount("live");
    const res = await sendFax(account.key, { to: "+14155552671", documents: [await pdfDocument()], options: { max_attempts: 2, retry_delay: 30 } });
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    // Live retries wait in real time; check the first attempt's result, then cancel the retry.
    const fax = await waitForFax(account.key, id, (f) => f.last_error !== null);
    expect(fax.status).toBe("queued");
    expect(fax?.last_error?.code).toBe("gateway.unavailable");
    expect(fax?.last_error?.retryable).toBe(true);
    expect(fax?.next_attempt_at).not.toBeNull();
    expect((await api(`/v1/faxes/${id}`, { key: account.key, method: "DELETE" })).status).toBe(200);
  });
});
