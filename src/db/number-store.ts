/**
 * Fax numbers of an account. Test numbers come from the fictional +1 555 010 range; live ones from the operator's pool.
 * What the API and the portal read or change is scoped by account and mode (src/db/tenant.ts); routing and
 * provisioning look across accounts by the number itself.
 */
import { and, asc, desc, eq, exists, gt, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { numbers } from "./schema";
import type { Tenant } from "./tenant";

export type NumberRow = typeof numbers.$inferSelect;

/** The account's numbers of one mode. */
const numberOf = (t: Tenant): SQL => and(eq(numbers.accountId, t.accountId), eq(numbers.mode, t.mode))!;

export async function listNumbers(db: Db, tenant: Tenant, limit: number, before?: string, label?: string, externalUserId?: string) {
  const where = [numberOf(tenant), isNull(numbers.releasedAt)];
  if (label !== undefined) where.push(eq(numbers.label, label));
  if (externalUserId !== undefined) where.push(eq(numbers.externalUserId, externalUserId));
  if (before) where.push(lt(numbers.id, before));
  const rows = await db.select().from(numbers).where(and(...where)).orderBy(desc(numbers.id)).limit(limit + 1).all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

export async function findNumber(db: Db, tenant: Tenant, id: string): Promise<NumberRow | undefined> {
  return db.select().from(numbers).where(and(numberOf(tenant), eq(numbers.id, id), isNull(numbers.releasedAt))).get();
}

export async function findAccountNumber(db: Db, tenant: Tenant, e164: string): Promise<NumberRow | undefined> {
  return db
    .select()
    .from(numbers)
    .where(and(numberOf(tenant), eq(numbers.number, e164), isNull(numbers.releasedAt)))
    .get();
}

/** The account's default sender: its oldest number not dedicated to a partner's user. */
export async function firstAccountNumber(db: Db, accountId: string, mode: "test" | "live"): Promise<NumberRow | undefined> {
  return db
    .select()
    .from(numbers)
    .where(and(eq(numbers.accountId, accountId), eq(numbers.mode, mode), isNull(numbers.releasedAt), isNull(numbers.externalUserId)))
    .orderBy(asc(numbers.id))
    .get();
}

/**
 * The account that holds a number now, for routing inbound calls: its active holder, or the former
 * holder while a release's grace period runs (routes_until).
 */
export async function findNumberHolder(db: Db, e164: string, nowIso: string = new Date().toISOString()): Promise<NumberRow | undefined> {
  return db
    .select()
    .from(numbers)
    .where(and(eq(numbers.number, e164), or(isNull(numbers.releasedAt), gt(numbers.routesUntil, nowIso))))
    .orderBy(sql`${numbers.releasedAt} IS NOT NULL`, desc(numbers.releasedAt))
    .get();
}

/** Fictional test numbers, +1 555 010 1000-9999: clear of the magic numbers (+1 555 010 0001-0009). */
export function testNumberCandidates(count: number): string[] {
  return Array.from(crypto.getRandomValues(new Uint32Array(count)), (r) => `+1555010${1000 + (r % 9000)}`);
}

/** Of `candidates`, those held now or released after `quarantineSince` (not to be handed out). */
export async function unavailableNumbers(db: Db, candidates: string[], quarantineSince: string): Promise<Set<string>> {
  const taken = new Set<string>();
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < candidates.length; i += 90) {
    const rows = await db
      .select({ number: numbers.number })
      .from(numbers)
      .where(and(inArray(numbers.number, candidates.slice(i, i + 90)), or(isNull(numbers.releasedAt), gt(numbers.releasedAt, quarantineSince))))
      .all();
    for (const row of rows) taken.add(row.number);
  }
  return taken;
}

export type NewNumber = Pick<NumberRow, "accountId" | "mode" | "label"> & Partial<Pick<NumberRow, "externalUserId" | "userId" | "tier">>;

/**
 * Statements to run in the same D1 batch as a number's change (its event, src/webhooks/account-events.ts).
 * `active` holds while the number is still held: a statement placed before the release and guarded by
 * it runs only if this very batch releases the number.
 */
export type NumberChangeStatements = (row: NumberRow, active: SQL) => BatchItem<"sqlite">[];

/**
 * Claims the first free candidate for the account. Uniqueness is enforced by the partial unique index
 * (an active number has one holder), so two accounts racing for a number cannot both get it.
 * `alongside` statements (the number's event) are written in the same batch, so they exist exactly when it does.
 */
export async function claimNumber(db: Db, fields: NewNumber, candidates: string[], alongside?: NumberChangeStatements): Promise<NumberRow | null> {
  for (const candidate of candidates) {
    const row: NumberRow = {
      id: newId("num"),
      number: candidate,
      createdAt: new Date().toISOString(),
      releasedAt: null,
      extractionSchema: null,
      routesUntil: null,
      externalUserId: null,
      userId: null,
      tier: null,
      ...fields,
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

/** A test number (random) or one of the live pool, with no partner fields. */
export async function provisionNumber(
  db: Db,
  accountId: string,
  mode: "test" | "live",
  livePool: string[],
  label: string | null,
  alongside?: NumberChangeStatements,
): Promise<NumberRow | null> {
  return claimNumber(db, { accountId, mode, label }, mode === "test" ? testNumberCandidates(20) : livePool, alongside);
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
 * Releases a number held by the account; calls still reach it for `graceMs` more (the grace period).
 * `alongside` statements (the release's event) run in the same batch, before the release and guarded
 * by `active`, so they happen once even when two releases race.
 */
export async function releaseNumber(
  db: Db,
  tenant: Tenant,
  id: string,
  graceMs = 0,
  alongside?: NumberChangeStatements,
): Promise<NumberRow | undefined> {
  const held = await findNumber(db, tenant, id);
  if (!held) return undefined;
  const now = Date.now();
  const routesUntil = new Date(now + graceMs).toISOString();
  const released: NumberRow = { ...held, releasedAt: new Date(now).toISOString(), routesUntil };
  const release = db
    .update(numbers)
    .set({ releasedAt: released.releasedAt, routesUntil })
    .where(and(numberOf(tenant), eq(numbers.id, id), isNull(numbers.releasedAt)))
    .returning();
  const more = alongside?.(released, activeNumber(db, held)) ?? [];
  const items: BatchItem<"sqlite">[] = [...more, release];
  const results = await db.batch(items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  return (results.at(-1) as NumberRow[])[0];
}

/** Inbound (issue 14): a number's own extraction schema (JSON), or null to use the account's. */
export async function setNumberExtractionSchema(db: Db, tenant: Tenant, id: string, schemaJson: string | null): Promise<NumberRow | undefined> {
  return db
    .update(numbers)
    .set({ extractionSchema: schemaJson })
    .where(and(numberOf(tenant), eq(numbers.id, id), isNull(numbers.releasedAt)))
    .returning()
    .get();
}

export async function updateNumber(db: Db, tenant: Tenant, id: string, changes: Partial<Pick<NumberRow, "tier" | "label">>): Promise<NumberRow | undefined> {
  if (Object.keys(changes).length === 0) return findNumber(db, tenant, id);
  return db
    .update(numbers)
    .set(changes)
    .where(and(numberOf(tenant), eq(numbers.id, id), isNull(numbers.releasedAt)))
    .returning()
    .get();
}

/**
 * Whether numbers of `externalUserId` (no live user has the id) still route to its former holder: the latest
 * routes_until after `nowIso` among the released ones, and how many are not released yet (a DELETE that has
 * marked the user deleted is still releasing them one by one).
 */
export async function formerUserNumbersRouting(db: Db, tenant: Tenant, externalUserId: string, nowIso: string): Promise<{ until: string | null; unreleased: number }> {
  const row = await db
    .select({
      until: sql<string | null>`max(CASE WHEN ${numbers.releasedAt} IS NOT NULL AND ${numbers.routesUntil} > ${nowIso} THEN ${numbers.routesUntil} END)`,
      unreleased: sql<number>`sum(CASE WHEN ${numbers.releasedAt} IS NULL THEN 1 ELSE 0 END)`,
    })
    .from(numbers)
    .where(and(numberOf(tenant), eq(numbers.externalUserId, externalUserId)))
    .get();
  return { until: row?.until ?? null, unreleased: Number(row?.unreleased ?? 0) };
}

/** The active numbers of the account's external users (of the mode), oldest first. */
export async function numbersOfExternalUsers(db: Db, tenant: Tenant, externalUserIds: string[]): Promise<NumberRow[]> {
  const found: NumberRow[] = [];
  for (let i = 0; i < externalUserIds.length; i += 90) {
    const chunk = externalUserIds.slice(i, i + 90);
    found.push(
      ...(await db
        .select()
        .from(numbers)
        .where(and(numberOf(tenant), inArray(numbers.externalUserId, chunk), isNull(numbers.releasedAt)))
        .orderBy(asc(numbers.id))
        .all()),
    );
  }
  return found;
}
