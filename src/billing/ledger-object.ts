/**
 * LedgerObject: one Durable Object per (account, mode), the only writer of that credit ledger (issue 16 point 1).
 *
 * Every change is appended as a row of credit_transactions with the balance it leaves; nothing is updated
 * in place, and the balance is the newest row's balance_after. Writes are serialised in this object (a
 * promise chain: a D1 round trip lets other calls in, so the object's input gate alone is not enough),
 * which is what makes "10 credits, 50 parallel one-page sends" accept exactly 10. The unique (account, mode,
 * seq) index turns any second writer into an error instead of a forked ledger, and the unique reference
 * makes every operation idempotent: a repeated reserve, settle or purchase returns the row already booked.
 */
import { DurableObject } from "cloudflare:workers";
import { isoNow, settings } from "../config";
import { database } from "../db/client";
import { faxTransactions, findTransaction, insertTransaction, latestTransaction, transactionInsert, type CreditTransactionRow, type Mode } from "../db/credit-store";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { accountEvent, publishAccountEvents, type RecordedAccountEvent } from "../webhooks/account-events";
import { LOCAL_LIVE_STARTING_CREDITS, TEST_STARTING_CREDITS } from "./prices";
import { lowBalanceThreshold } from "./threshold";

export interface LedgerScope {
  accountId: string;
  mode: Mode;
}

/** A change to book: `amount` is signed (credits added or taken). */
export interface LedgerEntry {
  kind: CreditTransactionRow["kind"];
  amount: number;
  reference: string;
  description: string;
  faxId?: string | null;
  purchaseId?: string | null;
  pages?: number | null;
}

export type ReserveResult = { ok: true; balance: number } | { ok: false; balance: number };

/** Why a change was refused: it would take the balance below zero. */
export type AppendResult = { ok: true; transaction: CreditTransactionRow } | { ok: false; balance: number };

const LOW_NOTIFIED = "low_notified";

const releaseReference = (faxId: string) => `fax:${faxId}:release`;

/** Credits a fax's reserve rows hold (its reservation and any top-up), or null when it has none. */
function reservedBy(rows: CreditTransactionRow[]): number | null {
  const reserves = rows.filter((r) => r.kind === "reserve");
  return reserves.length === 0 ? null : reserves.reduce((held, r) => held - r.amount, 0);
}

export class LedgerObject extends DurableObject<Env> {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `work` after every call before it has finished: one writer, one change at a time. */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  async balance(scope: LedgerScope): Promise<number> {
    return this.serially(async () => (await this.latest(scope))?.balanceAfter ?? 0);
  }

  /** Books `entry` unless it would leave a negative balance; a reference booked before returns that row. */
  async append(scope: LedgerScope, entry: LedgerEntry): Promise<AppendResult> {
    return this.serially(() => this.book(scope, entry));
  }

  /** Credits taken when a fax is accepted: its page count, or a refusal when the balance is short. */
  async reserve(scope: LedgerScope, faxId: string, pages: number): Promise<ReserveResult> {
    const result = await this.append(scope, {
      kind: "reserve",
      amount: -pages,
      reference: `fax:${faxId}:reserve`,
      description: `${pages} page${pages === 1 ? "" : "s"} reserved for ${faxId}`,
      faxId,
    });
    return result.ok ? { ok: true, balance: result.transaction.balanceAfter } : { ok: false, balance: result.balance };
  }

  /**
   * Brings the fax's reservation up to `pages`, its rendered page count, which can exceed the count it was
   * accepted with (the renderer and the upload check can disagree on a PDF): the difference is reserved too,
   * or refused when the balance is short, before a page is dialled. Nothing to do when the fax already holds
   * that many, holds none (accepted before billing), or is released.
   */
  async cover(scope: LedgerScope, faxId: string, pages: number): Promise<ReserveResult> {
    return this.serially(async () => {
      const rows = await faxTransactions(database(this.env.DB), scope.accountId, scope.mode, faxId);
      const held = reservedBy(rows);
      if (held === null || rows.some((r) => r.reference === releaseReference(faxId)) || pages <= held) {
        return { ok: true, balance: (await this.latest(scope))?.balanceAfter ?? 0 };
      }
      const more = pages - held;
      const result = await this.book(scope, {
        kind: "reserve",
        amount: -more,
        reference: `fax:${faxId}:reserve:${pages}`,
        description: `${more} more page${more === 1 ? "" : "s"} reserved for ${faxId}: it rendered to ${pages}, ${held} were reserved`,
        faxId,
      });
      return result.ok ? { ok: true, balance: result.transaction.balanceAfter } : { ok: false, balance: result.balance };
    });
  }

  /**
   * The fax is final: `pagesSent` are charged and the rest of its reservation comes back. All of it back is a
   * `refund` (failed before a page went, or canceled); otherwise a `settle`. One per fax, whatever the number of
   * attempts, so retries never charge twice. Pages sent beyond the reservation (cover() tops it up before
   * sending, so only a carrier reporting more pages than were rendered gets here) are taken from the balance
   * as far as it goes, never below zero; what could not be taken is written in the settle's description and
   * logged, never dropped in silence. A fax with no reservation (accepted before billing) is left alone.
   */
  async release(scope: LedgerScope, faxId: string, pagesSent: number): Promise<CreditTransactionRow | null> {
    return this.serially(async () => {
      const rows = await faxTransactions(database(this.env.DB), scope.accountId, scope.mode, faxId);
      const held = reservedBy(rows);
      if (held === null) return null;
      const released = rows.find((r) => r.reference === releaseReference(faxId));
      if (released) return released;
      const sent = Math.max(0, pagesSent);
      let amount = held - sent;
      let uncharged = 0;
      if (amount < 0) {
        const balance = (await this.latest(scope))?.balanceAfter ?? 0;
        uncharged = Math.max(0, -amount - balance);
        amount += uncharged;
      }
      const charged = sent - uncharged;
      const plural = (n: number) => `${n} ${n === 1 ? "page" : "pages"}`;
      let description = `${charged} of ${held} reserved pages charged for ${faxId}`;
      if (sent === 0) description = `${held} reserved credit${held === 1 ? "" : "s"} refunded for ${faxId}`;
      else if (sent > held) {
        description = `${plural(sent)} sent for ${faxId}, ${held} reserved: ${sent - held - uncharged} more charged`;
        if (uncharged > 0) description += `, ${uncharged} left uncharged (the balance ran out)`;
      }
      if (uncharged > 0) log.warn("pages sent beyond the reservation could not be charged", { account_id: scope.accountId, fax_id: faxId, pages_sent: sent, reserved: held, uncharged });
      const result = await this.book(scope, { kind: sent === 0 ? "refund" : "settle", amount, reference: releaseReference(faxId), description, faxId, pages: charged });
      return result.ok ? result.transaction : null;
    });
  }

  private async latest(scope: LedgerScope): Promise<CreditTransactionRow | undefined> {
    const db = database(this.env.DB);
    const last = await latestTransaction(db, scope.accountId, scope.mode);
    if (last) return last;
    // A test ledger starts funded, so test keys run without buying anything (issue 16 point 2); so does a live
    // one on the local platform, whose live faxes only reach the loopback carrier.
    const local = scope.mode === "live" && settings(this.env).local;
    if (scope.mode !== "test" && !local) return last;
    const starting = local ? LOCAL_LIVE_STARTING_CREDITS : TEST_STARTING_CREDITS;
    const now = new Date();
    const grant: CreditTransactionRow = {
      id: newId("txn", now.getTime()),
      accountId: scope.accountId,
      mode: scope.mode,
      seq: 1,
      kind: "grant",
      amount: starting,
      balanceAfter: starting,
      faxId: null,
      purchaseId: null,
      pages: null,
      reference: local ? "local:starting-credits" : "test:starting-credits",
      description: local ? "Local platform starting credits (loopback carrier)" : "Test-mode starting credits",
      createdAt: now.toISOString(),
    };
    await insertTransaction(db, grant);
    return grant;
  }

  private async book(scope: LedgerScope, entry: LedgerEntry): Promise<AppendResult> {
    const db = database(this.env.DB);
    const last = await this.latest(scope);
    const booked = await findTransaction(db, scope.accountId, scope.mode, { reference: entry.reference });
    if (booked) return { ok: true, transaction: booked };
    const before = last?.balanceAfter ?? 0;
    const after = before + entry.amount;
    if (entry.amount < 0 && after < 0) return { ok: false, balance: before };
    const now = Date.now();
    const row: CreditTransactionRow = {
      id: newId("txn", Math.max(now, last ? Date.parse(last.createdAt) : 0)),
      accountId: scope.accountId,
      mode: scope.mode,
      seq: (last?.seq ?? 0) + 1,
      kind: entry.kind,
      amount: entry.amount,
      balanceAfter: after,
      faxId: entry.faxId ?? null,
      purchaseId: entry.purchaseId ?? null,
      pages: entry.pages ?? null,
      reference: entry.reference,
      description: entry.description,
      createdAt: isoNow(now),
    };
    const low = await this.crossedThreshold(scope, after);
    // The row and its balance.low event are stored together (the account outbox), then published.
    await db.batch(low ? [transactionInsert(db, row), low.statement] : [transactionInsert(db, row)]);
    if (low) {
      await this.ctx.storage.put(LOW_NOTIFIED, true);
      await publishAccountEvents(this.env, scope.accountId, [low.event]);
    }
    return { ok: true, transaction: row };
  }

  /**
   * `balance.low` once each time the balance falls below the threshold (issue 16 point 4): the event to
   * store when `balance` is below it and none went out since it was last at or above it; the flag is
   * cleared when the balance is back. A threshold changed in the settings applies from the next change.
   */
  private async crossedThreshold(scope: LedgerScope, balance: number): Promise<RecordedAccountEvent | null> {
    const threshold = await lowBalanceThreshold(this.env, scope.accountId);
    const notified = (await this.ctx.storage.get<boolean>(LOW_NOTIFIED)) ?? false;
    if (balance >= threshold) {
      if (notified) await this.ctx.storage.put(LOW_NOTIFIED, false);
      return null;
    }
    if (notified) return null;
    return accountEvent(database(this.env.DB), {
      accountId: scope.accountId,
      mode: scope.mode,
      type: "balance.low",
      data: { balance: { credits: balance, low_balance_threshold: threshold, mode: scope.mode } },
    });
  }
}
