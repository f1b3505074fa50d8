/**
 * A delivery's payload is kept in D1 sealed (issue 17 point 4: a fax event's envelope carries the fax's
 * metadata and cover-page text), bound to its account and delivery id (src/storage/fields.ts). It is
 * opened only to be signed and sent. Payloads stored before encryption are sent as they are.
 */
import { fieldCipher, isSealedField } from "../storage/fields";

export function deliveryContext(accountId: string, deliveryId: string): string {
  return `webhook delivery\n${accountId}\n${deliveryId}`;
}

export function sealPayload(env: Pick<Env, "DOCUMENT_ENCRYPTION_KEY">, accountId: string, deliveryId: string, payload: string): Promise<string> {
  return fieldCipher(env).seal(deliveryContext(accountId, deliveryId), payload);
}

/** The envelope exactly as the event made it: the bytes that are signed and sent. */
export async function openPayload(env: Pick<Env, "DOCUMENT_ENCRYPTION_KEY">, row: { accountId: string; id: string; payload: string }): Promise<string> {
  return isSealedField(row.payload) ? fieldCipher(env).open(deliveryContext(row.accountId, row.id), row.payload) : row.payload;
}
