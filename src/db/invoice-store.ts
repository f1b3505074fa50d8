/** Monthly statements (issue 16 point 5): what a statement is computed from, and the closed ones. */
import { and, desc, eq, gte, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import type { Mode } from "./credit-store";
import { creditPurchases, invoicePayments, invoices, numbers } from "./schema";

export type InvoiceRow = typeof invoices.$inferSelect;
export type InvoicePaymentRow = typeof invoicePayments.$inferSelect;

/** Numbers the account held at some moment of [start, end). */
export async function numbersHeldBetween(db: Db, accountId: string, mode: Mode, startIso: string, endIso: string) {
  return db
    .select()
    .from(numbers)
    .where(and(eq(numbers.accountId, accountId), eq(numbers.mode, mode), lt(numbers.createdAt, endIso), or(isNull(numbers.releasedAt), gte(numbers.releasedAt, startIso))))
    .orderBy(numbers.createdAt)
    .all();
}

export async function purchasesCompletedBetween(db: Db, accountId: string, mode: Mode, startIso: string, endIso: string) {
  return db
    .select()
    .from(creditPurchases)
    .where(and(eq(creditPurchases.accountId, accountId), eq(creditPurchases.mode, mode), eq(creditPurchases.status, "completed"), gte(creditPurchases.completedAt, startIso), lt(creditPurchases.completedAt, endIso)))
    .orderBy(creditPurchases.completedAt)
    .all();
}

export async function listInvoices(db: Db, accountId: string, mode: Mode, limit: number, before?: string) {
  const where = [eq(invoices.accountId, accountId), eq(invoices.mode, mode)];
  if (before) where.push(lt(invoices.id, before));
  const rows = await db.select().from(invoices).where(and(...where)).orderBy(desc(invoices.id)).limit(limit + 1).all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function findInvoice(db: Db, accountId: string, mode: Mode, id: string): Promise<InvoiceRow | undefined> {
  return db.select().from(invoices).where(and(eq(invoices.accountId, accountId), eq(invoices.mode, mode), eq(invoices.id, id))).get();
}

/** Stores a closed statement; a second close of the same month (two crons) keeps the first. */
export async function insertInvoice(db: Db, row: InvoiceRow): Promise<void> {
  await db.insert(invoices).values(row).onConflictDoNothing();
}

/** Every (account, mode) that held a number or moved credits in [start, end) and has no statement for `period` yet. */
export async function accountsToClose(db: Db, period: string, startIso: string, endIso: string): Promise<{ accountId: string; mode: Mode }[]> {
  return db.all<{ accountId: string; mode: Mode }>(sql`
    SELECT account_id AS accountId, mode FROM numbers
      WHERE created_at < ${endIso} AND (released_at IS NULL OR released_at >= ${startIso})
    UNION
    SELECT account_id, mode FROM credit_transactions WHERE created_at >= ${startIso} AND created_at < ${endIso}
    EXCEPT
    SELECT account_id, mode FROM invoices WHERE period = ${period}`);
}

/** Open statements past their due date become past_due. */
export async function markPastDue(db: Db, nowIso: string): Promise<void> {
  await db.update(invoices).set({ status: "past_due" }).where(and(eq(invoices.status, "open"), lt(invoices.dueAt, nowIso)));
}

// ---- statement payments ----

/** Statuses a statement can be paid from. */
const PAYABLE = ["open", "past_due"] as const;

export async function insertInvoicePayment(db: Db, row: InvoicePaymentRow): Promise<void> {
  await db.insert(invoicePayments).values(row);
}

/** A statement's Stripe payment still waiting, opened after `sinceIso` (its Checkout Session can still be paid). */
export async function findOpenCheckout(db: Db, accountId: string, invoiceId: string, sinceIso: string): Promise<InvoicePaymentRow | undefined> {
  return db
    .select()
    .from(invoicePayments)
    .where(and(eq(invoicePayments.accountId, accountId), eq(invoicePayments.invoiceId, invoiceId), eq(invoicePayments.provider, "stripe"), eq(invoicePayments.status, "pending"), gte(invoicePayments.createdAt, sinceIso)))
    .orderBy(desc(invoicePayments.createdAt))
    .get();
}

export async function setPaymentCheckout(db: Db, accountId: string, id: string, providerRef: string, checkoutUrl: string): Promise<void> {
  await db
    .update(invoicePayments)
    .set({ providerRef, checkoutUrl })
    .where(and(eq(invoicePayments.accountId, accountId), eq(invoicePayments.id, id)));
}

/** A payment by the provider's id for it: only for a caller that proved who it is (a signed provider webhook). */
export async function findPaymentByProviderRef(db: Db, provider: InvoicePaymentRow["provider"], providerRef: string): Promise<InvoicePaymentRow | undefined> {
  return db.select().from(invoicePayments).where(and(eq(invoicePayments.provider, provider), eq(invoicePayments.providerRef, providerRef))).get();
}

/** SQL that holds while the statement can still be paid (an event's onlyIf, placed before markInvoicePaid). */
export function invoicePayable(accountId: string, invoiceId: string) {
  return sql`EXISTS (SELECT 1 FROM invoices WHERE id = ${invoiceId} AND account_id = ${accountId} AND status IN ('open', 'past_due'))`;
}

/** open or past_due → paid, in full; a statement paid already is left as it is (the statement returns no row then). */
export function markInvoicePaid(db: Db, accountId: string, invoiceId: string, paidAt: string) {
  return db
    .update(invoices)
    .set({ status: "paid", amountPaid: sql`${invoices.total}`, paidAt })
    .where(and(eq(invoices.accountId, accountId), eq(invoices.id, invoiceId), inArray(invoices.status, [...PAYABLE])))
    .returning();
}

/** The payment paid the statement: only while the statement is payable (place it before markInvoicePaid in the batch). */
export function markPaymentPaid(db: Db, payment: InvoicePaymentRow, paidAt: string) {
  return db
    .update(invoicePayments)
    .set({ status: "paid", paidAt })
    .where(and(eq(invoicePayments.accountId, payment.accountId), eq(invoicePayments.id, payment.id), eq(invoicePayments.status, "pending"), invoicePayable(payment.accountId, payment.invoiceId)));
}
