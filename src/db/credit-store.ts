/**
 * Queries of the credit ledger (issue 16). Appending goes through the LedgerObject only (src/billing/ledger-object.ts),
 * which serialises the writes of one (account, mode); reads here may run anywhere. Every query carries the account id.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { Db } from "./client";
import { creditPurchases, creditTransactions } from "./schema";

export type CreditTransactionRow = typeof creditTransactions.$inferSelect;
export type CreditPurchaseRow = typeof creditPurchases.$inferSelect;
export type Mode = "test" | "live";

export async function latestTransaction(db: Db, accountId: string, mode: Mode): Promise<CreditTransactionRow | undefined> {
  return db
    .select()
    .from(creditTransactions)
    .where(and(eq(creditTransactions.accountId, accountId), eq(creditTransactions.mode, mode)))
    .orderBy(desc(creditTransactions.seq))
    .limit(1)
    .get();
}

/** One row of the ledger, by its id or by the reference of the operation that booked it. */
export async function findTransaction(db: Db, accountId: string, mode: Mode, by: { id: string } | { reference: string }): Promise<CreditTransactionRow | undefined> {
  const match = "id" in by ? eq(creditTransactions.id, by.id) : eq(creditTransactions.reference, by.reference);
  return db
    .select()
    .from(creditTransactions)
    .where(and(eq(creditTransactions.accountId, accountId), eq(creditTransactions.mode, mode), match))
    .get();
}

/** A fax's rows (its reservation, any top-up, its release), in order. */
export async function faxTransactions(db: Db, accountId: string, mode: Mode, faxId: string): Promise<CreditTransactionRow[]> {
  return db
    .select()
    .from(creditTransactions)
    .where(and(eq(creditTransactions.accountId, accountId), eq(creditTransactions.mode, mode), eq(creditTransactions.faxId, faxId)))
    .orderBy(creditTransactions.seq)
    .all();
}

export async function insertTransaction(db: Db, row: CreditTransactionRow): Promise<void> {
  await db.insert(creditTransactions).values(row);
}

/** The insert as a statement, to run in one D1 batch with what it causes (a `balance.low` event). */
export function transactionInsert(db: Db, row: CreditTransactionRow) {
  return db.insert(creditTransactions).values(row);
}

/** Newest first (by seq: two rows of one millisecond may have ids out of order); the cursor is the last row's id. */
export async function listTransactions(db: Db, accountId: string, mode: Mode, limit: number, before?: string) {
  const where = [eq(creditTransactions.accountId, accountId), eq(creditTransactions.mode, mode)];
  if (before) {
    const cursor = await findTransaction(db, accountId, mode, { id: before });
    where.push(lt(creditTransactions.seq, cursor?.seq ?? 0));
  }
  const rows = await db.select().from(creditTransactions).where(and(...where)).orderBy(desc(creditTransactions.seq)).limit(limit + 1).all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function allTransactions(db: Db, accountId: string, mode: Mode): Promise<CreditTransactionRow[]> {
  return db
    .select()
    .from(creditTransactions)
    .where(and(eq(creditTransactions.accountId, accountId), eq(creditTransactions.mode, mode)))
    .orderBy(creditTransactions.seq)
    .all();
}

export async function insertPurchase(db: Db, row: CreditPurchaseRow): Promise<void> {
  await db.insert(creditPurchases).values(row);
}

export async function findPurchase(db: Db, accountId: string, id: string): Promise<CreditPurchaseRow | undefined> {
  return db.select().from(creditPurchases).where(and(eq(creditPurchases.accountId, accountId), eq(creditPurchases.id, id))).get();
}

/** A purchase by its id alone: only for a caller that proved who it is another way (a signed provider webhook, the operator). */
export async function findPurchaseById(db: Db, id: string): Promise<CreditPurchaseRow | undefined> {
  return db.select().from(creditPurchases).where(eq(creditPurchases.id, id)).get();
}

export async function setPurchaseCheckout(db: Db, accountId: string, id: string, providerRef: string, checkoutUrl: string): Promise<void> {
  await db
    .update(creditPurchases)
    .set({ providerRef, checkoutUrl })
    .where(and(eq(creditPurchases.accountId, accountId), eq(creditPurchases.id, id)));
}

export async function markPurchaseCompleted(db: Db, accountId: string, id: string, completedAt: string): Promise<void> {
  await db
    .update(creditPurchases)
    .set({ status: "completed", completedAt })
    .where(and(eq(creditPurchases.accountId, accountId), eq(creditPurchases.id, id), eq(creditPurchases.status, "pending")));
}
