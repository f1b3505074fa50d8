/**
 * Monthly statements (issue 16 point 5): a line per number held in the month at its tier's monthly price,
 * prorated by the time it was held; the pages sent and received (paid with credits, so at no charge here);
 * and the credit bundles bought, which were paid when bought. The current month is computed when asked; the
 * cron closes a month once it is over and stores its statement: `paid` when nothing is due, else `open` until
 * INVOICE_DUE_DAYS later and `past_due` after.
 */
import { database } from "../db/client";
import type { Mode } from "../db/credit-store";
import { accountsToClose, insertInvoice, markPastDue, numbersHeldBetween, purchasesCompletedBetween, type InvoiceRow } from "../db/invoice-store";
import type { NumberRow } from "../db/number-store";
import { usageBetween } from "../db/usage-store";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { CURRENCY, formatPrice, INVOICE_DUE_DAYS, NUMBER_MONTHLY_PRICE, type NumberTier } from "./prices";

export interface StatementLine {
  type: "number" | "pages_sent" | "pages_received" | "purchase";
  description: string;
  quantity: number;
  /** Cents. */
  amount: number;
  /** True for a line settled when it happened (a bundle bought). */
  paid: boolean;
}

export interface Statement {
  period: string;
  currency: string;
  lines: StatementLine[];
  total: number;
  amount_paid: number;
  amount_due: number;
}

export interface HeldNumber {
  number: string;
  tier: NumberTier;
  createdAt: string;
  releasedAt: string | null;
}

/** A number's tier (partners, issue 15); a number with none (not a partner's user's) is billed as personal. */
export function numberTier(row: NumberRow): NumberTier {
  return row.tier === "business" ? "business" : "personal";
}

/** The month `YYYY-MM` (UTC) and its bounds. */
export function monthBounds(period: string): { start: Date; end: Date } {
  const [year, month] = period.split("-").map(Number) as [number, number];
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

export function periodOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

const day = (at: Date) => at.toISOString().slice(0, 10);

/** The lines for the numbers held in a month: each at its tier's price times the share of the month it was held. */
export function numberLines(period: string, held: HeldNumber[]): StatementLine[] {
  const { start, end } = monthBounds(period);
  const monthMs = end.getTime() - start.getTime();
  return held.flatMap((n) => {
    const from = Math.max(start.getTime(), Date.parse(n.createdAt));
    const to = Math.min(end.getTime(), n.releasedAt ? Date.parse(n.releasedAt) : end.getTime());
    if (to <= from) return [];
    const price = NUMBER_MONTHLY_PRICE[n.tier];
    const whole = from === start.getTime() && to === end.getTime();
    const amount = Math.round((price * (to - from)) / monthMs);
    const span = whole ? "the whole month" : `${day(new Date(from))} to ${day(new Date(to - 1))}, prorated`;
    return [{ type: "number" as const, description: `${n.number} (${n.tier}, ${formatPrice(price)}/month): ${span}`, quantity: 1, amount, paid: false }];
  });
}

export async function buildStatement(env: Env, accountId: string, mode: Mode, period: string): Promise<Statement> {
  const db = database(env.DB);
  const { start, end } = monthBounds(period);
  const [held, usage, purchases] = await Promise.all([
    numbersHeldBetween(db, accountId, mode, start.toISOString(), end.toISOString()),
    usageBetween(db, accountId, mode, start.toISOString(), end.toISOString(), "day"),
    purchasesCompletedBetween(db, accountId, mode, start.toISOString(), end.toISOString()),
  ]);
  const sent = usage.reduce((t, u) => t + u.pages_sent, 0);
  const received = usage.reduce((t, u) => t + u.pages_received, 0);
  const credits = usage.reduce((t, u) => t + u.credits, 0);
  const lines: StatementLine[] = [
    ...numberLines(period, held.map((n) => ({ number: n.number, tier: numberTier(n), createdAt: n.createdAt, releasedAt: n.releasedAt }))),
    { type: "pages_sent", description: `Pages sent: ${sent} (${credits} credits used)`, quantity: sent, amount: 0, paid: true },
    { type: "pages_received", description: `Pages received: ${received}`, quantity: received, amount: 0, paid: true },
    ...purchases.map((p) => ({ type: "purchase" as const, description: `${p.credits} credits (${p.bundle}), ${p.completedAt!.slice(0, 10)}`, quantity: p.credits, amount: p.price, paid: true })),
  ];
  const total = lines.reduce((t, l) => t + l.amount, 0);
  const paid = lines.filter((l) => l.paid).reduce((t, l) => t + l.amount, 0);
  return { period, currency: CURRENCY, lines, total, amount_paid: paid, amount_due: total - paid };
}

/** Stores the statement of a month that is over. */
export async function closeStatement(env: Env, accountId: string, mode: Mode, period: string, now: Date): Promise<void> {
  const statement = await buildStatement(env, accountId, mode, period);
  const row: InvoiceRow = {
    id: newId("inv", monthBounds(period).end.getTime()),
    accountId,
    mode,
    period,
    status: statement.amount_due === 0 ? "paid" : "open",
    currency: statement.currency,
    total: statement.total,
    amountPaid: statement.amount_paid,
    lines: JSON.stringify(statement.lines),
    createdAt: now.toISOString(),
    dueAt: new Date(now.getTime() + INVOICE_DUE_DAYS * 86_400_000).toISOString(),
    paidAt: statement.amount_due === 0 ? now.toISOString() : null,
  };
  await insertInvoice(database(env.DB), row);
}

/** Cron: closes last month's statements still missing, and marks overdue ones past_due. */
export async function closeStatements(env: Env, nowMs: number): Promise<{ closed: number }> {
  const now = new Date(nowMs);
  const previous = periodOf(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
  const { start, end } = monthBounds(previous);
  const db = database(env.DB);
  const due = await accountsToClose(db, previous, start.toISOString(), end.toISOString());
  for (const { accountId, mode } of due) {
    try {
      await closeStatement(env, accountId, mode, previous, now);
    } catch (error) {
      log.error("statement not closed; the next cron tries again", { account_id: accountId, error: String(error) });
    }
  }
  await markPastDue(db, now.toISOString());
  return { closed: due.length };
}
