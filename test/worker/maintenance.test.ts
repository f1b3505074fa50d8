import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { faxObject } from "../../src/fax/fax-stub";
import { runScheduledMaintenance } from "../../src/fax/maintenance";
import { canTransition, FAX_STATUSES, isFinal } from "../../src/fax/state-machine";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal, waitForFax, rewriteFaxState } from "./helpers";

describe("the sweep", () => {
  it("fails a live fax whose gateway went silent mid-call, never leaving it in sending", async () => {
    const account = await createTestAccount("live");
    const later = new Date(Date.now() + 3600_000).toISOString();
    const { id } = await (await sendFax(account.key, { to: "+14155552671", documents: [await pdfDocument()], send_at: later, options: { max_attempts: 1 } })).json<{ id: string }>();
    // Put the fax where a crashed gateway leaves it: sending, last heard from ten minutes ago.
    const tenMinutesAgo = Date.now() - 600_000;
    await rewriteFaxState(id, (stored) => {
      stored.fax.status = "sending";
      stored.fax.attempts = 1;
      stored.releaseAtMs = null;
      stored.attempt = { id: "att_test", number: 1, startedAtMs: tenMinutesAgo, lastHeardMs: tenMinutesAgo };
    });
    await env.DB.prepare("UPDATE faxes SET status = 'sending', updated_at = ? WHERE id = ?").bind(new Date(tenMinutesAgo).toISOString(), id).run();

    const result = await runScheduledMaintenance(env, Date.now());
    expect(result.swept).toBe(1);
    const fax = await waitForFax(account.key, id, (f) => f.status !== "sending");
    expect(fax.status).toBe("failed");
    expect(fax.error?.code).toBe("gateway.lost");
    expect(fax.error?.retryable).toBe(true);
  });

  it("fails a fax whose rendering died with its isolate", async () => {
    const account = await createTestAccount();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: later })).json<{ id: string }>();
    const tenMinutesAgo = new Date(Date.now() - 600_000).toISOString();
    await rewriteFaxState(id, (stored) => {
      stored.fax.status = "rendering";
      stored.fax.updated_at = tenMinutesAgo;
      stored.releaseAtMs = null;
    });
    await env.DB.prepare("UPDATE faxes SET status = 'rendering', updated_at = ? WHERE id = ?").bind(tenMinutesAgo, id).run();
    expect((await runScheduledMaintenance(env, Date.now())).swept).toBe(1);
    const fax = await waitForFax(account.key, id, (f) => f.status !== "rendering");
    expect(fax.status).toBe("failed");
    expect(fax.error?.code).toBe("document.unreadable");
  });

  it("sends a render job again for a due fax whose job was lost", async () => {
    const account = await createTestAccount();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()], send_at: later })).json<{ id: string }>();
    // Due ten minutes ago, never picked up: what a dropped queue message leaves behind.
    const tenMinutesAgo = new Date(Date.now() - 600_000).toISOString();
    await rewriteFaxState(id, (stored) => {
      stored.releaseAtMs = null;
      stored.fax.status = "queued";
      stored.fax.updated_at = tenMinutesAgo;
    }, { deleteAlarm: true });
    await env.DB.prepare("UPDATE faxes SET status = 'queued', updated_at = ? WHERE id = ?").bind(tenMinutesAgo, id).run();
    expect((await runScheduledMaintenance(env, Date.now())).swept).toBe(1);
    const fax = await waitForFinal(account.key, id);
    expect(fax.status).toBe("delivered");
  });

  it("leaves a fax that is making progress alone", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, id);
    const result = await runScheduledMaintenance(env, Date.now());
    expect(result.swept).toBe(0);
  });
});

describe("retention", () => {
  it("deletes documents of faxes finished longer ago than RETENTION_DAYS", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    await waitForFinal(account.key, id);
    expect((await api(`/v1/faxes/${id}/document`, { key: account.key })).status).toBe(200);

    const soon = await runScheduledMaintenance(env, Date.now() + 24 * 3600_000);
    expect(soon.purged).toBe(0);
    const later = await runScheduledMaintenance(env, Date.now() + (Number(env.RETENTION_DAYS) + 1) * 24 * 3600_000);
    expect(later.purged).toBeGreaterThanOrEqual(1);
    const objects = await env.DOCUMENTS.list({ prefix: `faxes/${account.accountId}/${id}/` });
    expect(objects.objects).toEqual([]);
    // Gone for good (issue 15 point 6): 410, and the fax itself is still there with purged_at.
    await expectProblem(await api(`/v1/faxes/${id}/document`, { key: account.key }), 410, "document.purged");
    const kept = await api(`/v1/faxes/${id}`, { key: account.key });
    expect(kept.status).toBe(200);
    expect((await kept.json<{ purged_at: string | null }>()).purged_at).not.toBeNull();
  });
});

describe("the fax state machine", () => {
  it("allows exactly the documented transitions", () => {
    const allowed = FAX_STATUSES.flatMap((from) => FAX_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`));
    expect(allowed.sort()).toEqual(
      [
        "queued→rendering",
        "queued→canceled",
        "scheduled→queued",
        "scheduled→canceled",
        "queued→failed",
        "rendering→sending",
        "rendering→failed",
        "sending→delivered",
        "sending→failed",
        "sending→queued",
        "receiving→received",
        "receiving→failed",
      ].sort(),
    );
    for (const status of ["delivered", "failed", "canceled", "received"] as const) expect(isFinal(status)).toBe(true);
  });

  it("ignores late and repeated reports for an attempt", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(2)] })).json<{ id: string }>();
    const done = await waitForFinal(account.key, id);
    const stub = faxObject(env, id);
    // A stale attempt id, and a repeat of the delivery: neither changes anything.
    const after = await stub.report({ attemptId: "att_other", kind: "failed", code: "fax.busy", detail: "late", t30Result: null });
    expect(after?.status).toBe("delivered");
    const repeat = await stub.cancel();
    expect(repeat.ok).toBe(false);
    const fax = await (await api(`/v1/faxes/${id}`, { key: account.key })).json<{ status: string; updated_at: string }>();
    expect(fax.status).toBe("delivered");
    expect(fax.updated_at).toBe(done.updated_at);
  });
});
