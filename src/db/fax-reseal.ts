/**
 * The D1 half of `npm run documents:rewrap` (issue 17 point 4): after a rotation of DOCUMENT_ENCRYPTION_KEY, or
 * for rows written before encryption, re-seals faxes' metadata and cover page (faxes.body and their events'
 * data) and delivery payloads under the current key, and rebuilds each fax's metadata blind index under it.
 * Every update is conditional on the stored text being unchanged, so a write that happened meanwhile (which
 * sealed under the current key anyway) is never undone. Pages go by id, across all accounts (an operator's
 * command).
 */
import { and, asc, eq, gt, inArray, ne } from "drizzle-orm";
import { isSealedField, sealedKeyId, type FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import { openPayload, sealPayload } from "./delivery-payload";
import { hasClearPrivateFields, openEventData, openFax, sealedFieldsKeyId, sealEventData, sealFax } from "./fax-private";
import { faxEvents, faxes, faxMetadataIndex, webhookDeliveries } from "./schema";

export interface ResealPage {
  /** Faxes: how many faxes' Durable Objects re-sealed their own storage (POST /internal/documents/reseal adds it). */
  objects?: number;
  scanned: number;
  /** Rows whose values were sealed or re-sealed now. */
  resealed: number;
  /** Rows under a key no longer in the secret (left as they are). */
  unavailable: number;
  cursor: string | null;
}

type Json = Record<string, unknown>;

/** What a stored fax JSON needs: nothing, a (re-)seal, or a key the secret no longer has. */
function faxNeed(stored: Json, current: string, known: Set<string>): "none" | "reseal" | "unavailable" {
  const kid = sealedFieldsKeyId(stored);
  if (kid !== null) return kid === current ? "none" : known.has(kid) ? "reseal" : "unavailable";
  return hasClearPrivateFields(stored) ? "reseal" : "none";
}

/** One page of faxes (with their events and blind index); `faxIds` names the page's faxes, whose Durable Objects the caller re-seals. */
export async function resealFaxes(db: Db, cipher: FieldCipher, o: { cursor?: string; limit: number }): Promise<ResealPage & { faxIds: string[] }> {
  const current = await cipher.currentKeyId();
  const known = new Set(await cipher.keyIds());
  const rows = await db
    .select({ id: faxes.id, accountId: faxes.accountId, body: faxes.body })
    .from(faxes)
    .where(o.cursor ? gt(faxes.id, o.cursor) : undefined)
    .orderBy(asc(faxes.id))
    .limit(o.limit)
    .all();
  const staleIndex = new Set(
    rows.length === 0
      ? []
      : (
          await db
            .selectDistinct({ faxId: faxMetadataIndex.faxId })
            .from(faxMetadataIndex)
            .where(and(inArray(faxMetadataIndex.faxId, rows.map((r) => r.id)), ne(faxMetadataIndex.keyId, current)))
            .all()
        ).map((r) => r.faxId),
  );
  let resealed = 0;
  let unavailable = 0;
  for (const row of rows) {
    const stored = JSON.parse(row.body) as Json;
    const need = faxNeed(stored, current, known);
    if (need === "unavailable") {
      unavailable++;
      continue;
    }
    const events = await db
      .select({ id: faxEvents.id, data: faxEvents.data })
      .from(faxEvents)
      .where(and(eq(faxEvents.accountId, row.accountId), eq(faxEvents.faxId, row.id)))
      .all();
    const eventUpdates = [];
    for (const event of events) {
      const data = JSON.parse(event.data) as Json;
      if (!data.fax || typeof data.fax !== "object" || faxNeed(data.fax as Json, current, known) !== "reseal") continue;
      const sealed = JSON.stringify(await sealEventData(cipher, row.accountId, await openEventData(cipher, row.accountId, data)));
      eventUpdates.push(db.update(faxEvents).set({ data: sealed }).where(and(eq(faxEvents.id, event.id), eq(faxEvents.data, event.data))));
    }
    if (need === "none" && eventUpdates.length === 0 && !staleIndex.has(row.id)) continue;
    const fax = await openFax<Json>(cipher, row.accountId, stored);
    const pairs = Object.entries((fax.metadata ?? {}) as Record<string, string>);
    const hashes = await Promise.all(pairs.map(([key, value]) => cipher.index(row.accountId, key, value)));
    const body = need === "reseal" ? JSON.stringify(await sealFax(cipher, row.accountId, fax)) : row.body;
    await db.batch([
      db.update(faxes).set({ body }).where(and(eq(faxes.id, row.id), eq(faxes.body, row.body))),
      db.delete(faxMetadataIndex).where(and(eq(faxMetadataIndex.accountId, row.accountId), eq(faxMetadataIndex.faxId, row.id))),
      ...hashes.map(({ keyId, hash }) => db.insert(faxMetadataIndex).values({ accountId: row.accountId, faxId: row.id, keyId, hash }).onConflictDoNothing()),
      ...eventUpdates,
    ]);
    resealed++;
  }
  return { scanned: rows.length, resealed, unavailable, cursor: rows.length === o.limit ? rows.at(-1)!.id : null, faxIds: rows.map((r) => r.id) };
}

/** One page of webhook deliveries: payloads stored in clear or under an older key are sealed under the current one. */
export async function resealDeliveries(
  db: Db,
  env: Pick<Env, "DOCUMENT_ENCRYPTION_KEY">,
  cipher: FieldCipher,
  o: { cursor?: string; limit: number },
): Promise<ResealPage> {
  const current = await cipher.currentKeyId();
  const knownKeyIds = await cipher.keyIds();
  const rows = await db
    .select({ id: webhookDeliveries.id, accountId: webhookDeliveries.accountId, payload: webhookDeliveries.payload })
    .from(webhookDeliveries)
    .where(o.cursor ? gt(webhookDeliveries.id, o.cursor) : undefined)
    .orderBy(asc(webhookDeliveries.id))
    .limit(o.limit)
    .all();
  let resealed = 0;
  let unavailable = 0;
  for (const row of rows) {
    if (isSealedField(row.payload)) {
      const kid = sealedKeyId(row.payload);
      if (kid === current) continue;
      if (!knownKeyIds.includes(kid)) {
        unavailable++;
        continue;
      }
    }
    const payload = await sealPayload(env, row.accountId, row.id, await openPayload(env, row));
    await db
      .update(webhookDeliveries)
      .set({ payload })
      .where(and(eq(webhookDeliveries.id, row.id), eq(webhookDeliveries.payload, row.payload)));
    resealed++;
  }
  return { scanned: rows.length, resealed, unavailable, cursor: rows.length === o.limit ? rows.at(-1)!.id : null };
}
