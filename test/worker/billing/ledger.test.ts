// Issue 16 points 1 and 2: the ledger never overspends, and a fax's credits follow it (reserve, settle, refund).
import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ledger } from "../../../src/billing/ledger";
import { TEST_STARTING_CREDITS } from "../../../src/billing/prices";
import { createFax } from "../../../src/fax/create";
import { MAGIC_NUMBERS } from "../../../src/fax/simulated-carrier";
import { api, expectProblem, makePdf, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { accountWithCredits, ledgerRows } from "./helpers";

const later = () => new Date(Date.now() + 3600_000).toISOString();

describe("the credit ledger", () => {
  it("with 10 credits, 50 parallel one-page sends: exactly 10 are accepted, 40 get 402 balance.insufficient", async () => {
    const account = await accountWithCredits("live", 10);
    const document = await pdfDocument(1);
    // Scheduled an hour ahead, so no fax finishes (and gives credits back) while the others are sent.
    const responses = await Promise.all(Array.from({ length: 50 }, () => sendFax(account.key, { to: "+15550100001", documents: [document], send_at: later() })));
    const accepted = responses.filter((r) => r.status === 202);
    const refused = responses.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    const problem = await expectProblem(refused[0]!, 402, "balance.insufficient");
    expect(problem.detail).toMatch(/needs as many credits; the live balance is 0/);
    expect(problem.next).toMatch(/POST \/v1\/balance\/purchases/);
    const rows = await ledgerRows(account.accountId, "live");
    expect(rows.filter((r) => r.kind === "reserve")).toHaveLength(10);
    expect(rows.at(-1)!.balance_after).toBe(0);

    // Canceling gives every credit back: a refund per fax.
    for (const res of accepted) {
      const fax = await res.json<{ id: string }>();
      expect((await api(`/v1/faxes/${fax.id}`, { method: "DELETE", key: account.key })).status).toBe(200);
    }
    await expect.poll(async () => (await ledgerRows(account.accountId, "live")).filter((r) => r.kind === "refund").length, { timeout: 10_000 }).toBe(10);
    expect((await ledgerRows(account.accountId, "live")).at(-1)!.balance_after).toBe(10);
  });

  it("a test ledger starts funded and a live one at zero", async () => {
    const test = await accountWithCredits("test", TEST_STARTING_CREDITS);
    const rows = await ledgerRows(test.accountId, "test");
    expect(rows).toEqual([expect.objectContaining({ seq: 1, kind: "grant", amount: TEST_STARTING_CREDITS, balance_after: TEST_STARTING_CREDITS })]);
    const live = await accountWithCredits("live", 0);
    expect(await ledger(env, live.accountId, "live").balance({ accountId: live.accountId, mode: "live" })).toBe(0);
    await expectProblem(await sendFax(live.key, { to: "+15550100001", documents: [await pdfDocument(1)] }), 402, "balance.insufficient");
  });

  it("after any sequence of reserves, releases, grants and adjustments the ledger's sum is its balance, never below zero", async () => {
    const account = await accountWithCredits("live", 0);
    const scope = { accountId: account.accountId, mode: "live" as const };
    const stub = ledger(env, account.accountId, "live");
    const operation = fc.oneof(
      fc.record({ op: fc.constant("grant" as const), amount: fc.integer({ min: 1, max: 50 }) }),
      fc.record({ op: fc.constant("adjustment" as const), amount: fc.integer({ min: -40, max: 40 }) }),
      fc.record({ op: fc.constant("reserve" as const), fax: fc.integer({ min: 0, max: 15 }), pages: fc.integer({ min: 1, max: 12 }) }),
      fc.record({ op: fc.constant("cover" as const), fax: fc.integer({ min: 0, max: 15 }), pages: fc.integer({ min: 1, max: 15 }) }),
      fc.record({ op: fc.constant("release" as const), fax: fc.integer({ min: 0, max: 15 }), pages: fc.integer({ min: 0, max: 20 }) }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        run += 1;
        await Promise.all(
          operations.map((o, i) => {
            const fax = `fax_run${run}_${"fax" in o ? o.fax : i}`;
            if (o.op === "reserve") return stub.reserve(scope, fax, o.pages);
            if (o.op === "cover") return stub.cover(scope, fax, o.pages);
            if (o.op === "release") return stub.release(scope, fax, o.pages);
            return stub.append(scope, { kind: o.op, amount: o.amount, reference: `run${run}:${i}`, description: "property test" });
          }),
        );
        const rows = await ledgerRows(account.accountId, "live");
        const sum = rows.reduce((total, r) => total + r.amount, 0);
        expect(rows.at(-1)?.balance_after ?? 0).toBe(sum);
        expect(await stub.balance(scope)).toBe(sum);
        rows.forEach((r, i) => {
          expect(r.seq).toBe(i + 1);
          expect(r.balance_after).toBeGreaterThanOrEqual(0);
          expect(r.balance_after).toBe((rows[i - 1]?.balance_after ?? 0) + r.amount);
        });
        // Per fax: a reservation first, at most one top-up, at most one release and nothing after it; a release
        // never gives back more than was reserved, and what the fax cost in the end is the pages it charged.
        const byFax = new Map<string, typeof rows>();
        for (const r of rows) if (r.fax_id) byFax.set(r.fax_id, [...(byFax.get(r.fax_id) ?? []), r]);
        for (const list of byFax.values()) {
          expect(list[0]!.kind).toBe("reserve");
          const kinds = list.map((r) => r.kind);
          expect(kinds.filter((k) => k === "reserve").length).toBeLessThanOrEqual(2);
          const releases = list.filter((r) => r.kind === "settle" || r.kind === "refund");
          expect(releases.length).toBeLessThanOrEqual(1);
          if (releases[0]) {
            expect(list.at(-1)).toBe(releases[0]);
            expect(-list.reduce((t, r) => t + r.amount, 0)).toBe(releases[0].pages);
          }
          expect(list.reduce((t, r) => t + r.amount, 0)).toBeLessThanOrEqual(0);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("a fax's credits", () => {
  // Every magic number: reserved when accepted, and once final either settled for the pages sent or refunded.
  const cases = [...Object.keys(MAGIC_NUMBERS), "+15550123456"];
  it.each(cases)("%s: reserve at acceptance, one settle or refund when final, across every attempt", async (to) => {
    const account = await accountWithCredits("test", 100);
    const res = await sendFax(account.key, { to, documents: [await pdfDocument(2)], options: { retry_delay: 60, max_attempts: 3 } });
    expect(res.status).toBe(202);
    const accepted = await res.json<{ id: string; page_count: number }>();
    expect(accepted.page_count).toBe(2);
    expect((await ledgerRows(account.accountId, "test", accepted.id)).map((r) => [r.kind, r.amount])).toEqual([["reserve", -2]]);

    const fax = await waitForFinal(account.key, accepted.id);
    const charged = fax.status === "delivered" ? fax.page_count : fax.pages_sent;
    await expect.poll(async () => (await ledgerRows(account.accountId, "test", fax.id)).length, { timeout: 10_000 }).toBe(2);
    const [reserve, release] = await ledgerRows(account.accountId, "test", fax.id);
    expect(reserve).toMatchObject({ kind: "reserve", amount: -2 });
    expect(release).toMatchObject({ kind: charged === 0 ? "refund" : "settle", amount: 2 - charged, pages: charged });
    expect((await ledgerRows(account.accountId, "test")).at(-1)!.balance_after).toBe(100 - charged);
  });

  it("+15550100005 (line drops after page 1) charges the one page sent; +15550100004 (retried) charges its pages once", async () => {
    const account = await accountWithCredits("test", 100);
    const dropped = await (await sendFax(account.key, { to: "+15550100005", documents: [await pdfDocument(3)], options: { max_attempts: 2, retry_delay: 60 } })).json<{ id: string }>();
    const retried = await (await sendFax(account.key, { to: "+15550100004", documents: [await pdfDocument(3)], options: { max_attempts: 3, retry_delay: 60 } })).json<{ id: string }>();
    const [a, b] = await Promise.all([waitForFinal(account.key, dropped.id), waitForFinal(account.key, retried.id)]);
    expect([a.status, a.pages_sent, a.attempts]).toEqual(["failed", 1, 2]);
    expect([b.status, b.attempts]).toEqual(["delivered", 2]);
    await expect.poll(async () => (await ledgerRows(account.accountId, "test")).filter((r) => r.fax_id).length, { timeout: 10_000 }).toBe(4);
    expect((await ledgerRows(account.accountId, "test", a.id)).map((r) => [r.kind, r.amount])).toEqual([["reserve", -3], ["settle", 2]]);
    expect((await ledgerRows(account.accountId, "test", b.id)).map((r) => [r.kind, r.amount])).toEqual([["reserve", -3], ["settle", 0]]);
    expect((await ledgerRows(account.accountId, "test")).at(-1)!.balance_after).toBe(100 - 1 - 3);
  });

  it("a resend is charged as its own fax once; the original's charge is untouched; a replayed request books nothing", async () => {
    const account = await accountWithCredits("test", 100);
    const original = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(2)] })).json<{ id: string }>();
    await waitForFinal(account.key, original.id);
    await expect.poll(async () => (await ledgerRows(account.accountId, "test", original.id)).length, { timeout: 10_000 }).toBe(2);

    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await api(`/v1/faxes/${original.id}/resend`, { method: "POST", key: account.key, headers });
    const replay = await api(`/v1/faxes/${original.id}/resend`, { method: "POST", key: account.key, headers });
    expect([first.status, replay.status]).toEqual([202, 202]);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const resent = await first.json<{ id: string }>();
    await waitForFinal(account.key, resent.id);
    await expect.poll(async () => (await ledgerRows(account.accountId, "test", resent.id)).length, { timeout: 10_000 }).toBe(2);
    expect((await ledgerRows(account.accountId, "test", original.id)).map((r) => r.kind)).toEqual(["reserve", "settle"]);
    expect((await ledgerRows(account.accountId, "test", resent.id)).map((r) => [r.kind, r.amount])).toEqual([["reserve", -2], ["settle", 0]]);
    expect((await ledgerRows(account.accountId, "test")).at(-1)!.balance_after).toBe(96);
  });
});

describe("pages beyond the reservation", () => {
  const scopeOf = (accountId: string) => ({ accountId, mode: "live" as const });

  it("cover() reserves what a fax rendered beyond its reservation, once; release charges every page sent, never below zero, and says what it could not take", async () => {
    const account = await accountWithCredits("live", 10);
    const scope = scopeOf(account.accountId);
    const stub = ledger(env, account.accountId, "live");
    expect(await stub.reserve(scope, "fax_grew", 2)).toEqual({ ok: true, balance: 8 });
    expect(await stub.cover(scope, "fax_grew", 5)).toEqual({ ok: true, balance: 5 });
    expect(await stub.cover(scope, "fax_grew", 5)).toEqual({ ok: true, balance: 5 });
    expect(await stub.cover(scope, "fax_grew", 4)).toEqual({ ok: true, balance: 5 });
    expect(await stub.cover(scope, "fax_grew", 20)).toEqual({ ok: false, balance: 5 });
    expect(await stub.cover(scope, "fax_never_reserved", 3)).toEqual({ ok: true, balance: 5 });
    await stub.release(scope, "fax_grew", 5);
    await stub.release(scope, "fax_grew", 5);
    expect((await ledgerRows(account.accountId, "live", "fax_grew")).map((r) => [r.kind, r.amount, r.pages])).toEqual([
      ["reserve", -2, null],
      ["reserve", -3, null],
      ["settle", 0, 5],
    ]);
    // Released: a late cover books nothing.
    expect(await stub.cover(scope, "fax_grew", 9)).toEqual({ ok: true, balance: 5 });

    // A carrier reporting more pages than were reserved: the extra comes from the balance while it lasts.
    expect((await stub.reserve(scope, "fax_over", 1)).balance).toBe(4);
    const over = await stub.release(scope, "fax_over", 3);
    expect(over).toMatchObject({ kind: "settle", amount: -2, balanceAfter: 2, pages: 3 });
    expect(over!.description).toBe("3 pages sent for fax_over, 1 reserved: 2 more charged");
    expect((await stub.reserve(scope, "fax_short", 1)).balance).toBe(1);
    const short = await stub.release(scope, "fax_short", 4);
    expect(short).toMatchObject({ kind: "settle", amount: -1, balanceAfter: 0, pages: 2 });
    expect(short!.description).toBe("4 pages sent for fax_short, 1 reserved: 1 more charged, 2 left uncharged (the balance ran out)");
    expect(await stub.release(scope, "fax_short", 4)).toMatchObject({ id: short!.id });
    expect(await stub.balance(scope)).toBe(0);
  });

  // The upload check counted 1 page (pdf-lib), the renderer 3 (PDFium): what the accepted count missed.
  const grownDocument = async () => ({ pdf: await makePdf(3), pageCount: 1 });

  it("a fax that renders to more pages than it was accepted with is charged every page it sent", async () => {
    const account = await accountWithCredits("test", 5);
    const fax = await createFax(env, account.accountId, "test", {}, "+15550100001", grownDocument);
    expect(fax.page_count).toBe(1);
    const final = await waitForFinal(account.key, fax.id);
    expect([final.status, final.page_count, final.pages_sent]).toEqual(["delivered", 3, 3]);
    await expect.poll(async () => (await ledgerRows(account.accountId, "test", fax.id)).length, { timeout: 10_000 }).toBe(3);
    expect((await ledgerRows(account.accountId, "test", fax.id)).map((r) => [r.kind, r.amount, r.pages])).toEqual([
      ["reserve", -1, null],
      ["reserve", -2, null],
      ["settle", 0, 3],
    ]);
    expect((await ledgerRows(account.accountId, "test")).at(-1)!.balance_after).toBe(2);
  });

  it("when the balance cannot pay for the extra pages the fax fails before the call and its reservation comes back", async () => {
    const account = await accountWithCredits("test", 2);
    const fax = await createFax(env, account.accountId, "test", {}, "+15550100001", grownDocument);
    const final = await waitForFinal(account.key, fax.id);
    expect([final.status, final.pages_sent, final.attempts]).toEqual(["failed", 0, 0]);
    expect(final.error).toMatchObject({ code: "fax.balance_insufficient", retryable: false });
    await expect.poll(async () => (await ledgerRows(account.accountId, "test", fax.id)).length, { timeout: 10_000 }).toBe(2);
    expect((await ledgerRows(account.accountId, "test", fax.id)).map((r) => [r.kind, r.amount, r.pages])).toEqual([
      ["reserve", -1, null],
      ["refund", 1, 0],
    ]);
    expect((await ledgerRows(account.accountId, "test")).at(-1)!.balance_after).toBe(2);
  });
});
