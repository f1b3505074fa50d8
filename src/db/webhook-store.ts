/**
 * Webhook endpoints, the account's callback secret, deliveries and their attempts. Every query a
 * caller can reach filters by account_id, and an endpoint's also by mode (migration 0017); only the
 * cron's sweeps look across accounts.
 */
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";
import type { Tenant } from "./tenant";
import { accountEvents, accountSecrets, faxEvents, webhookAttempts, webhookDeliveries, webhookEndpoints } from "./schema";

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type AccountSecretRow = typeof accountSecrets.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type WebhookAttemptRow = typeof webhookAttempts.$inferSelect;
export type DeliveryStatus = WebhookDeliveryRow["status"];

/** D1 allows 100 bound parameters per statement; IN lists stay well under that. */
const IN_CHUNK = 90;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---- endpoints ----

/** An endpoint the tenant may see: its account's and its mode's (an endpoint of the other mode is as absent as another account's). */
const liveEndpoint = (tenant: Tenant, id: string) =>
  and(eq(webhookEndpoints.accountId, tenant.accountId), eq(webhookEndpoints.mode, tenant.mode), eq(webhookEndpoints.id, id), isNull(webhookEndpoints.deletedAt));

export async function insertEndpoint(db: Db, row: WebhookEndpointRow): Promise<WebhookEndpointRow> {
  await db.insert(webhookEndpoints).values(row);
  return row;
}

export async function findEndpoint(db: Db, tenant: Tenant, id: string): Promise<WebhookEndpointRow | undefined> {
  return db.select().from(webhookEndpoints).where(liveEndpoint(tenant, id)).get();
}

export async function listEndpoints(db: Db, tenant: Tenant, limit: number, before?: string) {
  const where = [eq(webhookEndpoints.accountId, tenant.accountId), eq(webhookEndpoints.mode, tenant.mode), isNull(webhookEndpoints.deletedAt)];
  if (before) where.push(lt(webhookEndpoints.id, before));
  const rows = await db.select().from(webhookEndpoints).where(and(...where)).orderBy(desc(webhookEndpoints.id)).limit(limit + 1).all();
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** The account's enabled endpoints of both modes; the fan-out filters by the event's mode and type. */
export async function enabledEndpoints(db: Db, accountId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.accountId, accountId), eq(webhookEndpoints.enabled, true), isNull(webhookEndpoints.deletedAt)))
    .all();
}

export type EndpointChanges = Partial<
  Pick<WebhookEndpointRow, "url" | "description" | "eventTypes" | "enabled" | "disabledReason" | "secret" | "previousSecret" | "previousSecretExpiresAt" | "secretOwner">
>;

export async function updateEndpoint(db: Db, tenant: Tenant, id: string, changes: EndpointChanges): Promise<WebhookEndpointRow | undefined> {
  return db
    .update(webhookEndpoints)
    .set({ ...changes, updatedAt: new Date().toISOString() })
    .where(liveEndpoint(tenant, id))
    .returning()
    .get();
}

/** Soft delete: the endpoint stops receiving, its delivery log stays for the record. */
export async function deleteEndpoint(db: Db, tenant: Tenant, id: string): Promise<WebhookEndpointRow | undefined> {
  const now = new Date().toISOString();
  return db
    .update(webhookEndpoints)
    .set({ deletedAt: now, updatedAt: now, enabled: false })
    .where(liveEndpoint(tenant, id))
    .returning()
    .get();
}

/** Endpoint lookup for the consumer: includes disabled and deleted endpoints, so it can tell why not to send. */
export async function findEndpointForDelivery(db: Db, accountId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.accountId, accountId), eq(webhookEndpoints.id, id)))
    .get();
}

// ---- the account's callback secret ----

export async function findAccountSecret(db: Db, accountId: string): Promise<AccountSecretRow | undefined> {
  return db.select().from(accountSecrets).where(eq(accountSecrets.accountId, accountId)).get();
}

/** Creates the callback secret unless one exists (two racing creators agree on the stored one). */
export async function ensureAccountSecret(db: Db, accountId: string, encryptedSecret: string): Promise<AccountSecretRow> {
  await db
    .insert(accountSecrets)
    .values({ accountId, callbackSecret: encryptedSecret, createdAt: new Date().toISOString() })
    .onConflictDoNothing();
  const row = await findAccountSecret(db, accountId);
  if (!row) throw new Error(`callback secret of ${accountId} vanished`);
  return row;
}

/**
 * Marks a never-shown callback secret as shown and returns it; undefined when it was shown already.
 * One caller wins a race, so the secret is revealed once.
 */
export async function revealAccountSecret(db: Db, accountId: string): Promise<AccountSecretRow | undefined> {
  return db
    .update(accountSecrets)
    .set({ revealedAt: new Date().toISOString() })
    .where(and(eq(accountSecrets.accountId, accountId), isNull(accountSecrets.revealedAt)))
    .returning()
    .get();
}

export async function rotateAccountSecret(
  db: Db,
  accountId: string,
  encryptedSecret: string,
  previous: { secret: string; expiresAt: string } | null,
): Promise<AccountSecretRow> {
  const now = new Date().toISOString();
  const row = await db
    .insert(accountSecrets)
    .values({ accountId, callbackSecret: encryptedSecret, createdAt: now, rotatedAt: now, revealedAt: now })
    .onConflictDoUpdate({
      target: accountSecrets.accountId,
      set: {
        callbackSecret: encryptedSecret,
        previousCallbackSecret: previous?.secret ?? null,
        previousCallbackSecretExpiresAt: previous?.expiresAt ?? null,
        rotatedAt: now,
        revealedAt: now,
      },
    })
    .returning()
    .get();
  return row;
}

// ---- deliveries ----

/**
 * Inserts each delivery unless its (deterministic) id exists, and marks the event fanned out, in one
 * round trip. Returns the stored rows and the ids this call inserted (a row inserted with
 * attempts = 1 is thereby claimed for its first attempt by the caller).
 */
export async function insertDeliveries(
  db: Db,
  rows: WebhookDeliveryRow[],
  publishedEventId?: { accountId: string; eventId: string },
): Promise<{ stored: WebhookDeliveryRow[]; inserted: Set<string> }> {
  const statements = rows.map((row) => db.insert(webhookDeliveries).values(row).onConflictDoNothing().returning({ id: webhookDeliveries.id }));
  const now = new Date().toISOString();
  // The event is in one of the two outboxes (a fax's, or the account's); marking both by id costs one indexed lookup.
  const mark = publishedEventId
    ? [
        db
          .update(faxEvents)
          .set({ publishedAt: now })
          .where(and(eq(faxEvents.accountId, publishedEventId.accountId), eq(faxEvents.id, publishedEventId.eventId), isNull(faxEvents.publishedAt))),
        db
          .update(accountEvents)
          .set({ publishedAt: now })
          .where(and(eq(accountEvents.accountId, publishedEventId.accountId), eq(accountEvents.id, publishedEventId.eventId), isNull(accountEvents.publishedAt))),
      ]
    : [];
  if (rows.length === 0) {
    if (mark[0] && mark[1]) await db.batch([mark[0], mark[1]]);
    return { stored: [], inserted: new Set() };
  }
  const stored = db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.accountId, rows[0]!.accountId), inArray(webhookDeliveries.id, rows.map((r) => r.id))));
  const items: BatchItem<"sqlite">[] = [...statements, ...mark, stored];
  const results = await db.batch(items as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const inserted = new Set((results.slice(0, rows.length) as { id: string }[][]).flat().map((r) => r.id));
  return { stored: results.at(-1) as WebhookDeliveryRow[], inserted };
}

export async function findDelivery(db: Db, accountId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.accountId, accountId), eq(webhookDeliveries.id, id)))
    .get();
}

/**
 * Whose deliveries a log shows: one endpoint's (the caller found the endpoint in its own mode first), or the
 * deliveries to faxes' own webhook_url of one mode, so a test key never sees a live fax's callbacks.
 */
export type DeliveryOwner = { endpointId: string } | { callbacksOfMode: "test" | "live" };

function ownedBy(owner: DeliveryOwner): SQL {
  return "endpointId" in owner
    ? eq(webhookDeliveries.endpointId, owner.endpointId)
    : and(isNull(webhookDeliveries.endpointId), eq(webhookDeliveries.mode, owner.callbacksOfMode))!;
}

/** One delivery of an owner's log, or undefined (another owner's, another mode's, another account's). */
export async function findEndpointDelivery(db: Db, accountId: string, owner: DeliveryOwner, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.accountId, accountId), eq(webhookDeliveries.id, id), ownedBy(owner)))
    .get();
}

export async function listDeliveries(
  db: Db,
  accountId: string,
  owner: DeliveryOwner,
  filter: { status?: DeliveryStatus; limit: number; before?: string },
): Promise<{ data: { delivery: WebhookDeliveryRow; attempts: WebhookAttemptRow[] }[]; hasMore: boolean }> {
  const where = [
    eq(webhookDeliveries.accountId, accountId),
    ownedBy(owner),
  ];
  if (filter.status) where.push(eq(webhookDeliveries.status, filter.status));
  if (filter.before) where.push(lt(webhookDeliveries.id, filter.before));
  const rows = await db
    .select()
    .from(webhookDeliveries)
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.id))
    .limit(filter.limit + 1)
    .all();
  const page = rows.slice(0, filter.limit);
  const attempts = new Map<string, WebhookAttemptRow[]>();
  for (const ids of chunks(page.map((r) => r.id), IN_CHUNK)) {
    const found = await db
      .select()
      .from(webhookAttempts)
      .where(and(eq(webhookAttempts.accountId, accountId), inArray(webhookAttempts.deliveryId, ids)))
      .orderBy(asc(webhookAttempts.number))
      .all();
    for (const a of found) attempts.set(a.deliveryId, [...(attempts.get(a.deliveryId) ?? []), a]);
  }
  return { data: page.map((delivery) => ({ delivery, attempts: attempts.get(delivery.id) ?? [] })), hasMore: rows.length > filter.limit };
}

export async function listAttempts(db: Db, accountId: string, deliveryId: string): Promise<WebhookAttemptRow[]> {
  return db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.accountId, accountId), eq(webhookAttempts.deliveryId, deliveryId)))
    .orderBy(asc(webhookAttempts.number))
    .all();
}

/**
 * Claims attempt number `attempt` of a pending delivery: only one worker wins it, so two copies
 * of a queue message never send the same attempt twice. `leaseUntil` marks it overdue for the
 * cron if the worker dies before recording the outcome.
 */
export async function claimAttempt(
  db: Db,
  accountId: string,
  deliveryId: string,
  attempt: number,
  leaseUntil: string,
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .update(webhookDeliveries)
    .set({ attempts: attempt, nextRetryAt: leaseUntil, lastAttemptAt: new Date().toISOString(), updatedAt: new Date().toISOString() })
    .where(
      and(
        eq(webhookDeliveries.accountId, accountId),
        eq(webhookDeliveries.id, deliveryId),
        eq(webhookDeliveries.status, "pending"),
        eq(webhookDeliveries.attempts, attempt - 1),
      ),
    )
    .returning()
    .get();
}

/** Writes the attempt's log entry and the delivery's new state together. */
export async function recordAttempt(
  db: Db,
  attempt: WebhookAttemptRow,
  delivery: { status: DeliveryStatus; nextRetryAt: string | null },
): Promise<void> {
  await db.batch([
    db.insert(webhookAttempts).values(attempt).onConflictDoNothing(),
    db
      .update(webhookDeliveries)
      .set({
        status: delivery.status,
        nextRetryAt: delivery.nextRetryAt,
        lastStatusCode: attempt.statusCode,
        lastAttemptAt: attempt.attemptedAt,
        updatedAt: new Date().toISOString(),
      })
      .where(and(eq(webhookDeliveries.accountId, attempt.accountId), eq(webhookDeliveries.id, attempt.deliveryId))),
  ]);
}

/** Ends a delivery without another attempt (endpoint disabled or deleted, or exhausted). */
export async function finishDelivery(db: Db, accountId: string, id: string, status: "failed" | "exhausted"): Promise<WebhookDeliveryRow | undefined> {
  return db
    .update(webhookDeliveries)
    .set({ status, nextRetryAt: null, updatedAt: new Date().toISOString() })
    .where(and(eq(webhookDeliveries.accountId, accountId), eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, "pending")))
    .returning()
    .get();
}

/** The dead-letter queue's record: the delivery is exhausted, and its message reached the DLQ. */
export async function markDeadLettered(db: Db, accountId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  const now = new Date().toISOString();
  return db
    .update(webhookDeliveries)
    .set({ status: "exhausted", nextRetryAt: null, deadLetteredAt: now, updatedAt: now })
    .where(and(eq(webhookDeliveries.accountId, accountId), eq(webhookDeliveries.id, id), inArray(webhookDeliveries.status, ["pending", "exhausted"])))
    .returning()
    .get();
}

/** Makes a finished delivery pending again for a manual redelivery. */
export async function reopenDelivery(db: Db, accountId: string, id: string): Promise<WebhookDeliveryRow | undefined> {
  const now = new Date().toISOString();
  return db
    .update(webhookDeliveries)
    .set({ status: "pending", nextRetryAt: now, deadLetteredAt: null, updatedAt: now })
    .where(and(eq(webhookDeliveries.accountId, accountId), eq(webhookDeliveries.id, id)))
    .returning()
    .get();
}

/**
 * The fax event just before `sequence`: whether it is fanned out, and how many of its deliveries are
 * in their first attempt now (claimed, no attempt recorded yet). The outbox holds a fax's event back
 * until its predecessor is fanned out (issue 13 point 4). Undefined when no predecessor is stored (a
 * fax from before sequences, or a hand-made event): then nothing is held back.
 */
export async function findPredecessor(
  db: Db,
  accountId: string,
  faxId: string,
  sequence: number,
): Promise<{ published: boolean; firstAttemptsInFlight: number } | undefined> {
  if (sequence <= 1) return undefined;
  const row = await db
    .select({
      publishedAt: faxEvents.publishedAt,
      inFlight: sql<number>`(SELECT count(*) FROM ${webhookDeliveries} d WHERE d.event_id = ${faxEvents.id}
        AND d.status = 'pending' AND d.attempts = 1 AND NOT EXISTS (SELECT 1 FROM ${webhookAttempts} a WHERE a.id = d.id || '.1'))`,
    })
    .from(faxEvents)
    .where(and(eq(faxEvents.accountId, accountId), eq(faxEvents.faxId, faxId), eq(faxEvents.sequence, sequence - 1)))
    .get();
  return row && { published: row.publishedAt !== null, firstAttemptsInFlight: row.inFlight };
}

// ---- the cron's sweeps (across accounts, by design) ----

/** Fax events not yet fanned out, created between the two times. */
export async function findUnpublishedEvents(db: Db, createdAfter: string, createdBefore: string, limit: number) {
  return db
    .select()
    .from(faxEvents)
    .where(and(isNull(faxEvents.publishedAt), gt(faxEvents.createdAt, createdAfter), lt(faxEvents.createdAt, createdBefore)))
    .orderBy(asc(faxEvents.createdAt))
    .limit(limit)
    .all();
}

/** Pending deliveries whose next attempt is overdue by more than the sweep's margin. */
export async function findOverdueDeliveries(db: Db, dueBefore: string, limit: number) {
  return db
    .select({ id: webhookDeliveries.id, accountId: webhookDeliveries.accountId, attempts: webhookDeliveries.attempts })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.status, "pending"), lt(webhookDeliveries.nextRetryAt, dueBefore)))
    .limit(limit)
    .all();
}

/** Pushes an overdue delivery's due time forward so the next sweep does not re-enqueue it again at once. */
export async function postponeDeliveries(db: Db, ids: { id: string; accountId: string }[], until: string): Promise<void> {
  for (const group of chunks(ids, IN_CHUNK)) {
    await db
      .update(webhookDeliveries)
      .set({ nextRetryAt: until })
      .where(and(eq(webhookDeliveries.status, "pending"), inArray(webhookDeliveries.id, group.map((g) => g.id))));
  }
}
