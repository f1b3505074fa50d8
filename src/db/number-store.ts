/** Fax numbers of an account. Test numbers come from the fictional +1 555 010 range; live ones from the operator's pool. */
import { and, asc, desc, eq, exists, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { numbers } from "./schema";

export type NumberRow = typeof numbers.$inferSelect;

export async function listNumbers(db: Db, accountId: string, limit: number, before?: string, label?: string) {
  const where = [eq(numbers.accountId, accountId), isNull(numbers.releasedAt)];
  if (label !== undefined) where.push(eq(numbers.label, label));
  if (before) where.push(lt(numbers.id, before));
  const rows = await db.select().from(numbers).where(and(...where)).orderBy(desc(numbers.id)).limit(limit + 1).all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function findNumber(db: Db, accountId: string, id: string): Promise<NumberRow | undefined> {
  return db.select().from(numbers).where(and(eq(numbers.accountId, accountId), eq(numbers.id, id), isNull(numbers.releasedAt))).get();
}

export async function findAccountNumber(db: Db, accountId: string, e164: string): Promise<NumberRow | undefined> {
  return db
    .select()
    .from(numbers)
    .where(and(eq(numbers.accountId, accountId), eq(numbers.number, e164), isNull(numbers.releasedAt)))
    .get();
}

export async function firstAccountNumber(db: Db, accountId: string, mode: "test" | "live"): Promise<NumberRow | undefined> {
  return db
    .select()
    .from(numbers)
    .where(and(eq(numbers.accountId, accountId), eq(numbers.mode, mode), isNull(numbers.releasedAt)))
    .orderBy(asc(numbers.id))
    .get();
}

/** The account that holds a number now (for routing inbound calls). */
export async function findNumberHolder(db: Db, e164: string): Promise<NumberRow | undefined> {
  return db.select().from(numbers).where(and(eq(numbers.number, e164), isNull(numbers.releasedAt))).get();
}

function randomTestNumber(): string {
  // +1 555 010 1000-9999: clear of the magic numbers (+1 555 010 0001-0009).
  const line = 1000 + (crypto.getRandomValues(new Uint32Array(1))[0]! % 9000);
  return `+1555010${line}`;
}

/**
 * Statements to run in the same D1 batch as a number's change (its event, src/webhooks/account-events.ts).
 * `active` holds while the number is still held: a statement placed before the release and guarded by
 * it runs only if this very batch releases the number.
 */
export type NumberChangeStatements = (row: NumberRow, active: SQL) => BatchItem<"sqlite">[];

/**
 * Claims a free number for the account. Uniqueness is enforced by the partial unique index
 * (an active number has one holder), so two accounts racing for a number cannot both get it.
 * `alongside` statements (the number's event) are written in the same batch, so they exist exactly when it does.
 */
export async function provisionNumber(
  db: Db,
  accountId: string,
  mode: "test" | "live",
  livePool: string[],
  label: string | null,
  alongside?: NumberChangeStatements,
): Promise<NumberRow | null> {
  const candidates = mode === "test" ? Array.from({ length: 20 }, randomTestNumber) : livePool;
  for (const candidate of candidates) {
    const row: NumberRow = {
      id: newId("num"),
      accountId,
      mode,
      number: candidate,
      label,
      createdAt: new Date().toISOString(),
      releasedAt: null,
      extractionSchema: null,
    };
    try {
      const insert = db.insert(numbers).values(row);
      const more = alongside?.(row, activeNumber(db, row)) ?? [];
      await db.batch([insert, ...more]);
      return row;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  return null;
}

/** drizzle wraps D1's error ("Failed query: …"); the SQLite constraint message is in the cause chain. */
function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message.includes("UNIQUE constraint failed")) return true;
  }
  return false;
}

function activeNumber(db: Db, row: Pick<NumberRow, "accountId" | "id">): SQL {
  const held = and(eq(numbers.accountId, row.accountId), eq(numbers.id, row.id), isNull(numbers.releasedAt));
  return exists(db.select({ one: sql`1` }).from(numbers).where(held));
}

/**
 * Releases a number held by the account. `alongside` statements (the release's event) run in the same
 * batch, before the release and guarded by `active`, so they happen once even when two releases race.
 */
export async function releaseNumber(db: Db, accountId: string, id: string, alongside?: NumberChangeStatements): Promise<NumberRow | undefined> {
  const held = await findNumber(db, accountId, id);
  if (!held) return undefined;
  const released: NumberRow = { ...held, releasedAt: new Date().toISOString() };
  const release = db
    .update(numbers)
    .set({ releasedAt: released.releasedAt })
    .where(and(eq(numbers.accountId, accountId), eq(numbers.id, id), isNull(numbers.releasedAt)))
    .returning();
  const more = alongside?.(released, activeNumber(db, held)) ?? [];
  const items: BatchItem<"sqlite">[] = [...more, release];
  const results = await db.batch(items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return (results.at(-1) as NumberRow[])[0];
}

/** Inbound (issue 14): a number's own extraction schema (JSON), or null to use the account's. */
export async function setNumberExtractionSchema(db: Db, accountId: string, id: string, schemaJson: string | null): Promise<NumberRow | undefined> {
  return db
    .update(numbers)
    .set({ extractionSchema: schemaJson })
    .where(and(eq(numbers.accountId, accountId), eq(numbers.id, id), isNull(numbers.releasedAt)))
    .returning()
    .get();
}
