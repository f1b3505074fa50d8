/**
 * Reads and writes of fax rows. Writes come only from the FaxObject (its projection into D1);
 * reads always filter by account_id and mode, so one account can never see another's fax, nor a test key
 * a live one (src/db/tenant.ts). A fax's children (events, page texts) are read only after the fax was
 * found so, and carry its account id.
 */
import { and, asc, desc, eq, gte, inArray, lt, lte, sql, type SQL } from "drizzle-orm";
import type { PlatformEvent } from "../events/catalog";
import { faxOrderOf } from "../events/order";
import type { FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import { openEventData, openFax, sealEventData, sealFax, SEALED_FIELDS } from "./fax-private";
import { accountSettings, externalUsers, faxEvents, faxes, faxMetadataIndex, numbers } from "./schema";
import type { Tenant } from "./tenant";

/** The faxes of one account in one mode (src/db/tenant.ts): every read the API or the portal makes starts here. */
const faxOf = (t: Tenant): SQL => and(eq(faxes.accountId, t.accountId), eq(faxes.mode, t.mode))!;

/**
 * What this store needs of a fax body: the fields its columns project. The body itself is the fax
 * domain's (src/fax/schema.ts), stored whole as JSON; callers name that type, this layer does not know it.
 */
export interface StoredFax {
  id: string;
  mode: "test" | "live";
  direction: "outbound" | "inbound";
  status: string;
  to: string;
  from: string;
  page_count: number;
  pages_sent: number;
  attempts: number;
  max_attempts: number;
  next_attempt_at: string | null;
  send_at: string | null;
  error: { code: string } | null;
  created_at: string;
  updated_at: string;
  completed_at: string | null;
  /** Partners (issue 15); absent on faxes stored before it existed. */
  external_user_id?: string | null;
}

export interface FaxProjection<F extends StoredFax = StoredFax> {
  fax: F;
  accountId: string;
  documentKey: string | null;
  version: number;
  /** Partners: the user record of the fax's number, written once (states stored before it have none). */
  userId?: string | null;
}

/**
 * Writes the fax row, its new events and its metadata's blind index in one D1 batch; a stale version never
 * overwrites a newer row. Metadata and cover page are sealed (./fax-private.ts) in the row and the events.
 */
export async function writeFaxProjection(db: Db, p: FaxProjection, events: PlatformEvent[], cipher: FieldCipher): Promise<void> {
  const row = {
    id: p.fax.id,
    accountId: p.accountId,
    mode: p.fax.mode,
    direction: p.fax.direction,
    status: p.fax.status,
    to: p.fax.to,
    from: p.fax.from,
    pageCount: p.fax.page_count,
    pagesSent: p.fax.pages_sent,
    attempts: p.fax.attempts,
    maxAttempts: p.fax.max_attempts,
    nextAttemptAt: p.fax.next_attempt_at,
    sendAt: p.fax.send_at,
    errorCode: p.fax.error?.code ?? null,
    version: p.version,
    documentKey: p.documentKey,
    body: JSON.stringify(await sealFax(cipher, p.accountId, p.fax)),
    createdAt: p.fax.created_at,
    updatedAt: p.fax.updated_at,
    completedAt: p.fax.completed_at,
    externalUserId: p.fax.external_user_id ?? null,
  };
  const { id: _id, createdAt: _created, accountId: _account, ...changing } = row;
  // user_id only on insert: a state stored before it existed must not clear what migration 0010 filled in.
  const upsert = db
    .insert(faxes)
    .values({ ...row, userId: p.userId ?? null })
    .onConflictDoUpdate({ target: faxes.id, set: changing, setWhere: sql`excluded.version > ${faxes.version}` });
  // Sealed and hashed first: a drizzle query is a thenable, so it must not be the result of an async callback.
  const eventData = await Promise.all(events.map((e) => sealEventData(cipher, p.accountId, e.data)));
  const inserts = events.map((e, i) =>
    db
      .insert(faxEvents)
      .values({ id: e.id, accountId: p.accountId, faxId: p.fax.id, type: e.type, createdAt: e.created_at, data: JSON.stringify(eventData[i]), sequence: faxOrderOf(e)?.sequence ?? null })
      .onConflictDoNothing(),
  );
  // A fax's metadata never changes, so its index rows are only ever added (a rotation re-indexes: ./fax-reseal.ts).
  const pairs = Object.entries((p.fax as { metadata?: Record<string, string> }).metadata ?? {});
  const hashes = await Promise.all(pairs.map(([key, value]) => cipher.index(p.accountId, key, value)));
  const indexed = hashes.map(({ keyId, hash }) => db.insert(faxMetadataIndex).values({ accountId: p.accountId, faxId: p.fax.id, keyId, hash }).onConflictDoNothing());
  await db.batch([upsert, ...inserts, ...indexed]);
}

export async function findFax<F extends StoredFax>(db: Db, tenant: Tenant, faxId: string, cipher: FieldCipher): Promise<F | null> {
  const row = await db
    .select({ body: faxes.body })
    .from(faxes)
    .where(and(faxOf(tenant), eq(faxes.id, faxId)))
    .get();
  return row ? openFax<F>(cipher, tenant.accountId, JSON.parse(row.body)) : null;
}

/**
 * `mode` null only for the holder of a signed link (src/api/files.ts): a key or a session of the fax's own
 * mode issued it, and the link names the account in its signed path.
 */
export async function findFaxDocumentKey(db: Db, tenant: Tenant | { accountId: string; mode: null }, faxId: string): Promise<{ documentKey: string | null; purgedAt: string | null } | null> {
  const row = await db
    .select({ documentKey: faxes.documentKey, purgedAt: sql<string | null>`json_extract(${faxes.body}, '$.purged_at')` })
    .from(faxes)
    .where(and(tenant.mode === null ? eq(faxes.accountId, tenant.accountId) : faxOf(tenant), eq(faxes.id, faxId)))
    .get();
  return row ?? null;
}

/**
 * The faxes of the account's current user under a partner's id (issue 15 points 3 and 4): matched by the
 * user record, so an id deleted and used again never reaches the former user's faxes.
 */
export function faxesOfExternalUser(tenant: Tenant, externalUserId: string): SQL {
  const current = sql`(SELECT ${externalUsers.id} FROM ${externalUsers} WHERE ${externalUsers.accountId} = ${tenant.accountId} AND ${externalUsers.mode} = ${tenant.mode} AND ${externalUsers.externalUserId} = ${externalUserId} AND ${externalUsers.deletedAt} IS NULL)`;
  return sql`${faxes.userId} = ${current}`;
}

/** Whether the fax is one of the external user's (issue 15 point 3: every query carries the account and the user). */
export async function isFaxOfExternalUser(db: Db, tenant: Tenant, externalUserId: string, faxId: string): Promise<boolean> {
  const row = await db
    .select({ id: faxes.id })
    .from(faxes)
    .where(and(faxOf(tenant), faxesOfExternalUser(tenant, externalUserId), eq(faxes.id, faxId)))
    .get();
  return row !== undefined;
}

export interface FaxListFilter {
  /** Partners: only the faxes of this external user's numbers. */
  externalUserId?: string;
  status?: string;
  direction?: "outbound" | "inbound";
  to?: string;
  createdAfter?: string;
  createdBefore?: string;
  /** Exact matches on the fax's own metadata, every pair must hold. */
  metadata?: Array<[key: string, value: string]>;
  /** Exclusive: the last id of the previous page (ids sort by creation time). */
  before?: string;
  limit: number;
}

/** Newest first, before the cursor; fetches limit + 1 rows to know whether there is a next page. */
async function pageOfFaxes<F extends StoredFax>(db: Db, accountId: string, cipher: FieldCipher, where: SQL[], before: string | undefined, limit: number): Promise<{ data: F[]; hasMore: boolean }> {
  if (before) where.push(lt(faxes.id, before));
  const rows = await db
    .select({ body: faxes.body })
    .from(faxes)
    .where(and(...where))
    .orderBy(desc(faxes.id))
    .limit(limit + 1)
    .all();
  return { data: await Promise.all(rows.slice(0, limit).map((r) => openFax<F>(cipher, accountId, JSON.parse(r.body)))), hasMore: rows.length > limit };
}

/** Newest first; fetches limit + 1 rows to know whether there is a next page. */
export async function listFaxes<F extends StoredFax>(db: Db, tenant: Tenant, f: FaxListFilter, cipher: FieldCipher): Promise<{ data: F[]; hasMore: boolean }> {
  const where: SQL[] = [faxOf(tenant)];
  if (f.externalUserId !== undefined) where.push(faxesOfExternalUser(tenant, f.externalUserId));
  if (f.status) where.push(eq(faxes.status, f.status));
  if (f.direction) where.push(eq(faxes.direction, f.direction));
  if (f.to) where.push(eq(faxes.to, f.to));
  if (f.createdAfter) where.push(gte(faxes.createdAt, f.createdAfter));
  if (f.createdBefore) where.push(lte(faxes.createdAt, f.createdBefore));
  for (const [key, value] of f.metadata ?? []) where.push(await metadataMatch(cipher, tenant.accountId, key, value));
  return pageOfFaxes<F>(db, tenant.accountId, cipher, where, f.before, f.limit);
}

/**
 * One `metadata[key]=value` filter: the pair's blind index under any key of the secret (a rotation may be under
 * way), or, for a row stored before encryption (no sealed fields yet), its clear JSON. json_each with bound key
 * and value: no JSON path is built from user input.
 */
async function metadataMatch(cipher: FieldCipher, accountId: string, key: string, value: string): Promise<SQL> {
  const hashes = await cipher.indexes(accountId, key, value);
  const indexed = sql`EXISTS (SELECT 1 FROM ${faxMetadataIndex} WHERE ${faxMetadataIndex.accountId} = ${accountId} AND ${inArray(faxMetadataIndex.hash, hashes)} AND ${faxMetadataIndex.faxId} = ${faxes.id})`;
  const legacy = sql`(json_extract(${faxes.body}, ${"$." + SEALED_FIELDS}) IS NULL AND EXISTS (SELECT 1 FROM json_each(${faxes.body}, '$.metadata') WHERE json_each.key = ${key} AND json_each.value = ${value}))`;
  return sql`(${indexed} OR ${legacy})`;
}

export async function listFaxEvents(db: Db, accountId: string, faxId: string, cipher: FieldCipher): Promise<PlatformEvent[]> {
  const rows = await db
    .select()
    .from(faxEvents)
    .where(and(eq(faxEvents.accountId, accountId), eq(faxEvents.faxId, faxId)))
    .orderBy(asc(faxEvents.sequence), asc(faxEvents.id))
    .all();
  return Promise.all(rows.map(async (r) => ({ id: r.id, type: r.type as PlatformEvent["type"], created_at: r.createdAt, data: await openEventData(cipher, accountId, JSON.parse(r.data)) })));
}

/** Faxes in `queued`, `rendering` or `sending` whose last change is older than the cutoff: candidates for the sweep. */
export async function findStaleFaxes(db: Db, updatedBefore: string, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ id: faxes.id })
    .from(faxes)
    .where(and(inArray(faxes.status, ["queued", "sending", "rendering"]), lt(faxes.updatedAt, updatedBefore)))
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}

export interface RetentionCutoffs {
  now: string;
  /** Per number tier: faxes of a number of that tier finished before this are expired. */
  tiers: Record<string, string>;
  /** Days for a fax whose number has no tier and whose account set no retention_days. */
  defaultDays: number;
}

/**
 * Finished faxes past their retention that still have a stored document: the retention purge's work.
 * A fax's retention is its number's tier's (the number it was sent from or received on, as the number
 * is now), else the account's retention_days, else the platform's.
 */
export async function findExpiredDocuments(db: Db, cutoffs: RetentionCutoffs, limit = 100) {
  const ownNumber = sql`CASE ${faxes.direction} WHEN 'inbound' THEN ${faxes.to} ELSE ${faxes.from} END`;
  const tier = sql`(SELECT ${numbers.tier} FROM ${numbers} WHERE ${numbers.accountId} = ${faxes.accountId} AND ${numbers.number} = ${ownNumber} ORDER BY ${numbers.id} DESC LIMIT 1)`;
  const accountDays = sql`COALESCE((SELECT ${accountSettings.retentionDays} FROM ${accountSettings} WHERE ${accountSettings.accountId} = ${faxes.accountId}), ${cutoffs.defaultDays})`;
  const accountCutoff = sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${cutoffs.now}, '-' || ${accountDays} || ' days')`;
  const byTier = Object.entries(cutoffs.tiers).map(([name, cutoff]) => sql`WHEN ${name} THEN ${cutoff}`);
  const cutoff = byTier.length ? sql`CASE ${tier} ${sql.join(byTier, sql` `)} ELSE ${accountCutoff} END` : accountCutoff;
  return db
    .select({ id: faxes.id, accountId: faxes.accountId, documentKey: faxes.documentKey })
    .from(faxes)
    .where(and(sql`${faxes.documentKey} IS NOT NULL`, sql`${faxes.completedAt} IS NOT NULL`, sql`${faxes.completedAt} < ${cutoff}`))
    .limit(limit)
    .all();
}

export interface ReceivedFilter {
  /** Partners: only the faxes received on this external user's numbers (the inbox). */
  externalUserId?: string;
  minCompleted?: string;
  imageDownloaded?: boolean;
  /** Partners: the inbox's read state (read_at set or not). */
  read?: boolean;
  before?: string;
  limit: number;
}

/** Inbound faxes that arrived completely, newest first (eFax-style polling). */
export async function listReceivedFaxes<F extends StoredFax>(db: Db, tenant: Tenant, f: ReceivedFilter, cipher: FieldCipher): Promise<{ data: F[]; hasMore: boolean }> {
  const where: SQL[] = [faxOf(tenant), eq(faxes.direction, "inbound"), eq(faxes.status, "received")];
  if (f.externalUserId !== undefined) where.push(faxesOfExternalUser(tenant, f.externalUserId));
  if (f.minCompleted) where.push(gte(faxes.completedAt, f.minCompleted));
  if (f.imageDownloaded !== undefined) where.push(sql`json_extract(${faxes.body}, '$.image_downloaded') = ${f.imageDownloaded ? 1 : 0}`);
  if (f.read !== undefined) where.push(f.read ? sql`${faxes.readAt} IS NOT NULL` : sql`${faxes.readAt} IS NULL`);
  return pageOfFaxes<F>(db, tenant.accountId, cipher, where, f.before, f.limit);
}
