/**
 * External users (issue 15 point 1): a partner's own users, keyed by the partner's id for them
 * (external_user_id). Every query carries the account id and the mode (a test key's users are not a live
 * key's, src/db/tenant.ts); a deleted user is kept for the record
 * (deleted_at) and its external_user_id can be used again.
 *
 * A user's metadata is sealed in D1 (data-protection gaps point 1, ./external-user-private.ts) and filtered
 * through its blind index; a row stored in clear before that is read and filtered as it is until rewritten.
 */
import { and, desc, eq, gte, isNull, lt, lte, type SQL } from "drizzle-orm";
import { ApiError } from "../errors/api-error";
import { newId } from "../lib/ids";
import type { FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import { metadataIndexWrites, metadataMatch, sealUserMetadata } from "./external-user-private";
import { externalUsers } from "./schema";
import type { Tenant } from "./tenant";

export type ExternalUserRow = typeof externalUsers.$inferSelect;
export type ExternalUserFields = Pick<ExternalUserRow, "name" | "email"> & { metadata: Record<string, string> };

const activeUser = (tenant: Tenant, externalUserId: string) =>
  and(eq(externalUsers.accountId, tenant.accountId), eq(externalUsers.mode, tenant.mode), eq(externalUsers.externalUserId, externalUserId), isNull(externalUsers.deletedAt));

export async function findExternalUser(db: Db, tenant: Tenant, externalUserId: string): Promise<ExternalUserRow | undefined> {
  return db.select().from(externalUsers).where(activeUser(tenant, externalUserId)).get();
}

/**
 * Creates the user or replaces its fields (PUT). The metadata is sealed bound to the user's record id, so a
 * known user is updated only while it is that record (not deleted), and a new one is inserted only if no
 * active user has the id (two racing PUTs of a new user end in one row, external_users_active); otherwise
 * the user is looked up and written again. `created` is true when this call inserted it.
 */
export async function upsertExternalUser(
  db: Db,
  tenant: Tenant,
  externalUserId: string,
  fields: ExternalUserFields,
  cipher: FieldCipher,
): Promise<{ user: ExternalUserRow; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await findExternalUser(db, tenant, externalUserId);
    const id = existing?.id ?? newId("usr");
    const now = new Date().toISOString();
    const metadata = await sealUserMetadata(cipher, tenant.accountId, id, fields.metadata);
    const set = { name: fields.name, email: fields.email, metadata, updatedAt: now };
    const write = existing
      ? db.update(externalUsers).set(set).where(and(eq(externalUsers.id, id), isNull(externalUsers.deletedAt))).returning()
      : db.insert(externalUsers).values({ id, accountId: tenant.accountId, mode: tenant.mode, externalUserId, ...set, createdAt: now, deletedAt: null }).onConflictDoNothing().returning();
    const [written] = await db.batch([write, ...(await metadataIndexWrites(db, cipher, tenant.accountId, id, metadata, fields.metadata))]);
    const user = written[0];
    if (user) return { user, created: !existing };
  }
  throw new ApiError("external_user.changed_concurrently", { detail: `External user ${externalUserId} was created or deleted by other requests three times while this PUT ran.` });
}

export async function deleteExternalUser(db: Db, tenant: Tenant, externalUserId: string): Promise<ExternalUserRow | undefined> {
  const now = new Date().toISOString();
  return db.update(externalUsers).set({ deletedAt: now, updatedAt: now }).where(activeUser(tenant, externalUserId)).returning().get();
}

export interface ExternalUserFilter {
  createdAfter?: string;
  createdBefore?: string;
  /** Exact matches on the user's metadata; every pair must hold. */
  metadata?: Array<[key: string, value: string]>;
  before?: string;
  limit: number;
}

/** Newest first, with the list filters; fetches limit + 1 rows to know whether there is a next page. */
export async function listExternalUsers(db: Db, tenant: Tenant, f: ExternalUserFilter, cipher: FieldCipher): Promise<{ data: ExternalUserRow[]; hasMore: boolean }> {
  const where: SQL[] = [eq(externalUsers.accountId, tenant.accountId), eq(externalUsers.mode, tenant.mode), isNull(externalUsers.deletedAt)];
  if (f.createdAfter) where.push(gte(externalUsers.createdAt, f.createdAfter));
  if (f.createdBefore) where.push(lte(externalUsers.createdAt, f.createdBefore));
  for (const [key, value] of f.metadata ?? []) where.push(await metadataMatch(cipher, tenant.accountId, key, value));
  if (f.before) where.push(lt(externalUsers.id, f.before));
  const rows = await db.select().from(externalUsers).where(and(...where)).orderBy(desc(externalUsers.id)).limit(f.limit + 1).all();
  return { data: rows.slice(0, f.limit), hasMore: rows.length > f.limit };
}
