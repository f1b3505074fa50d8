/**
 * External users' metadata in D1 (data-protection gaps point 1), kept like fax metadata (./fax-private.ts):
 * external_users.metadata holds the pairs' JSON sealed (src/storage/fields.ts), bound to the account and the
 * user's row id, so a value copied to another user or account does not decrypt; a user with no metadata keeps
 * `{}`. `metadata[key]=value` filters look up the blind index external_user_metadata_index (HMAC of scope,
 * account, key and value). Rows stored before this hold the JSON in clear and have no index rows: they are
 * read and filtered as they are until a PUT rewrites them or `npm run documents:rewrap` seals them.
 */
import { and, asc, eq, gt, inArray, ne, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { isSealedField, sealedKeyId, type FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import type { ResealPage } from "./fax-reseal";
import { externalUserMetadataIndex, externalUsers } from "./schema";

/** The blind index's scope: equal pairs of a fax and a user never share an entry. */
const INDEX_SCOPE = "external_user";
const EMPTY = "{}";

function context(accountId: string, userId: string): string {
  return `external user metadata\n${accountId}\n${userId}`;
}

/** What external_users.metadata stores for these pairs of the user `userId`. */
export async function sealUserMetadata(cipher: FieldCipher, accountId: string, userId: string, metadata: Record<string, string>): Promise<string> {
  return Object.keys(metadata).length === 0 ? EMPTY : cipher.seal(context(accountId, userId), JSON.stringify(metadata));
}

/** The user's metadata as it was given (a row stored in clear is read as it is). */
export async function openUserMetadata(cipher: FieldCipher, user: { accountId: string; id: string; metadata: string }): Promise<Record<string, string>> {
  const json = isSealedField(user.metadata) ? await cipher.open(context(user.accountId, user.id), user.metadata) : user.metadata;
  return JSON.parse(json) as Record<string, string>;
}

/**
 * The statements that make the user's index rows those of `metadata`, for a batch that also stores `stored` (its
 * sealed form) in the user's row: each runs only if the row `userId` holds exactly `stored` when it runs, so an
 * upsert that did not write (the user has another id) or a newer write leaves the index alone.
 */
export async function metadataIndexWrites(db: Db, cipher: FieldCipher, accountId: string, userId: string, stored: string, metadata: Record<string, string>): Promise<BatchItem<"sqlite">[]> {
  const hashes = await Promise.all(Object.entries(metadata).map(([key, value]) => cipher.index(accountId, key, value, INDEX_SCOPE)));
  const holds = sql`EXISTS (SELECT 1 FROM ${externalUsers} WHERE ${externalUsers.id} = ${userId} AND ${externalUsers.accountId} = ${accountId} AND ${externalUsers.metadata} = ${stored})`;
  const index = externalUserMetadataIndex;
  return [
    db.delete(index).where(and(eq(index.accountId, accountId), eq(index.userId, userId), holds)),
    // INSERT … SELECT names every column in the table's order: account_id, user_id, key_id, hash.
    ...hashes.map(({ keyId, hash }) => db.insert(index).select(sql`SELECT ${accountId}, ${userId}, ${keyId}, ${hash} WHERE ${holds}`).onConflictDoNothing()),
  ];
}

/**
 * One `metadata[key]=value` filter of the account's users: the pair's blind index under any key of the secret
 * (a rotation may be under way), or, for a row still in clear, its JSON (json_each with bound key and value:
 * no JSON path is built from input; a sealed value is not JSON and is never given to json_each).
 */
export async function metadataMatch(cipher: FieldCipher, accountId: string, key: string, value: string): Promise<SQL> {
  const hashes = await cipher.indexes(accountId, key, value, INDEX_SCOPE);
  const index = externalUserMetadataIndex;
  const indexed = sql`EXISTS (SELECT 1 FROM ${index} WHERE ${index.accountId} = ${accountId} AND ${inArray(index.hash, hashes)} AND ${index.userId} = ${externalUsers.id})`;
  const clear = sql`EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(${externalUsers.metadata}) THEN ${externalUsers.metadata} ELSE '{}' END) WHERE json_each.key = ${key} AND json_each.value = ${value})`;
  return sql`(${indexed} OR ${clear})`;
}

/**
 * One page of external users (across accounts, an operator's command: `npm run documents:rewrap`): metadata in
 * clear or sealed under an older key is sealed under the current one, and index rows under an older key are
 * rebuilt. Each update is conditional on the stored value being unchanged, so a PUT meanwhile is never undone.
 */
export async function resealExternalUsers(db: Db, cipher: FieldCipher, o: { cursor?: string; limit: number }): Promise<ResealPage> {
  const current = await cipher.currentKeyId();
  const known = new Set(await cipher.keyIds());
  const rows = await db
    .select({ id: externalUsers.id, accountId: externalUsers.accountId, metadata: externalUsers.metadata })
    .from(externalUsers)
    .where(o.cursor ? gt(externalUsers.id, o.cursor) : undefined)
    .orderBy(asc(externalUsers.id))
    .limit(o.limit)
    .all();
  const index = externalUserMetadataIndex;
  const staleIndex = new Set(
    rows.length === 0
      ? []
      : (
          await db
            .selectDistinct({ userId: index.userId })
            .from(index)
            .where(and(inArray(index.userId, rows.map((r) => r.id)), ne(index.keyId, current)))
            .all()
        ).map((r) => r.userId),
  );
  let resealed = 0;
  let unavailable = 0;
  for (const row of rows) {
    const kid = isSealedField(row.metadata) ? sealedKeyId(row.metadata) : null;
    if (kid !== null && !known.has(kid)) {
      unavailable++;
      continue;
    }
    const stale = kid !== null ? kid !== current : row.metadata !== EMPTY;
    if (!stale && !staleIndex.has(row.id)) continue;
    const metadata = await openUserMetadata(cipher, row);
    const stored = stale ? await sealUserMetadata(cipher, row.accountId, row.id, metadata) : row.metadata;
    await db.batch([
      db.update(externalUsers).set({ metadata: stored }).where(and(eq(externalUsers.id, row.id), eq(externalUsers.metadata, row.metadata))),
      ...(await metadataIndexWrites(db, cipher, row.accountId, row.id, stored, metadata)),
    ]);
    resealed++;
  }
  return { scanned: rows.length, resealed, unavailable, cursor: rows.length === o.limit ? rows.at(-1)!.id : null };
}
