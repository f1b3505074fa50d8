import { describe, expect, it } from "vitest";
import { api, createTestAccount, pdfDocument, sendFax, waitForFax, waitForFinal } from "./helpers";

// Every magic number in docs/architecture.md ends in its documented outcome, retries included.
// retry_delay is the minimum (30 s), compressed 2000× in tests.
const cases: { to: string; status: string; code: string | null; attempts: number; pagesSent: number; retryable?: boolean }[] = [
  { to: "+15550100001", status: "delivered", code: null, attempts: 1, pagesSent: 2 },
  { to: "+15550100002", status: "failed", code: "fax.busy", attempts: 3, pagesSent: 0, retryable: true },
  { to: "+15550100003", status: "failed", code: "fax.no_answer", attempts: 3, pagesSent: 0, retryable: true },
  { to: "+15550100004", status: "delivered", code: null, attempts: 2, pagesSent: 2 },
  { to: "+15550100005", status: "failed", code: "fax.carrier_lost", attempts: 3, pagesSent: 1, retryable: true },
  { to: "+15550100006", status: "failed", code: "fax.t38_refused", attempts: 3, pagesSent: 0, retryable: true },
  { to: "+15550100007", status: "delivered", code: null, attempts: 1, pagesSent: 2 },
  { to: "+15550100008", status: "failed", code: "fax.not_a_fax", attempts: 1, pagesSent: 0, retryable: false },
  { to: "+15550100009", status: "failed", code: "fax.declined", attempts: 1, pagesSent: 0, retryable: false },
  { to: "+15550123456", status: "delivered", code: null, attempts: 1, pagesSent: 2 },
];

describe("magic test numbers", () => {
  it.each(cases)("$to ends $status ($code) after $attempts attempt(s)", async (c) => {
    const account = await createTestAccount();
    const res = await sendFax(account.key, {
      to: c.to,
      documents: [await pdfDocument(2)],
      options: { max_attempts: 3, retry_delay: 30 },
    });
    expect(res.status).toBe(202);
    const { id } = await res.json<{ id: string }>();
    const fax = await waitForFinal(account.key, id);
    expect(fax.status).toBe(c.status);
    expect(fax.attempts).toBe(c.attempts);
    expect(fax.pages_sent).toBe(c.pagesSent);
    expect(fax.error?.code ?? null).toBe(c.code);
    if (c.code) {
      expect(fax.error?.retryable).toBe(c.retryable);
      expect(fax.error?.t30_result).toBeTruthy();
      expect(fax.last_error?.code).toBe(c.code);
    }
    const events = (await (await api(`/v1/faxes/${id}/events`, { key: account.key })).json<{ data: { type: string }[] }>()).data.map((e) => e.type);
    expect(events.filter((t) => t === "fax.sending").length).toBe(c.attempts);
    expect(events.filter((t) => t === "fax.retrying").length).toBe(c.attempts - 1);
    expect(events.at(-1)).toBe(c.status === "delivered" ? "fax.delivered" : "fax.failed");
  });

  it("+15550100004 shows its retry state between attempts", async () => {
    const account = await createTestAccount();
    // A long retry delay (2 h, compressed to 3.6 s) leaves time to look at the fax while it waits.
    const { id } = await (await sendFax(account.key, { to: "+15550100004", documents: [await pdfDocument()], options: { retry_delay: 7200 } })).json<{ id: string }>();
    const fax = await waitForFax(account.key, id, (f) => f.attempts >= 1 && f.status === "queued");
    expect(fax.attempts).toBe(1);
    expect(fax?.next_attempt_at).not.toBeNull();
    expect(fax?.last_error?.code).toBe("fax.training_failed");
    const done = await waitForFinal(account.key, id);
    expect(done.status).toBe("delivered");
    expect(done.next_attempt_at).toBeNull();
  });
});
