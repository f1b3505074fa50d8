/**
 * The private fields of a fax in D1 (issue 17 point 4): `metadata` and `cover_page` are sealed wherever a
 * fax is stored as JSON (faxes.body, and the `fax` inside fax_events.data), bound to the account and the fax
 * (src/storage/fields.ts). The stored JSON keeps the fields' empty values (`{}`, null) and carries the sealed
 * values in `sealed_fields`; a fax with nothing private has no `sealed_fields`. Rows written before
 * encryption have the fields in clear and no `sealed_fields`: they are read as they are until
 * `npm run documents:rewrap` seals them (./fax-reseal.ts).
 */
import { isSealedField, sealedKeyId, type FieldCipher } from "../storage/fields";

const PRIVATE_FIELDS = { metadata: {}, cover_page: null } as const;
type PrivateField = keyof typeof PRIVATE_FIELDS;
export const SEALED_FIELDS = "sealed_fields";

type Json = Record<string, unknown>;

function context(accountId: string, faxId: string): string {
  return `fax\n${accountId}\n${faxId}`;
}

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === "object" && Object.keys(value).length === 0);
}

/** Whether the stored fax JSON still holds private values in clear (written before encryption). */
export function hasClearPrivateFields(stored: Json): boolean {
  return (Object.keys(PRIVATE_FIELDS) as PrivateField[]).some((field) => field in stored && !isEmpty(stored[field]));
}

/** The key id the stored fax's private fields are sealed under, or null when none are sealed. */
export function sealedFieldsKeyId(stored: Json): string | null {
  const sealed = stored[SEALED_FIELDS];
  return typeof sealed === "string" && isSealedField(sealed) ? sealedKeyId(sealed) : null;
}

/** Whether a stored fax must be (re-)sealed: private values in clear, or sealed under another key than `currentKeyId`. */
export function needsReseal(stored: Json, currentKeyId: string): boolean {
  const kid = sealedFieldsKeyId(stored);
  return kid !== null ? kid !== currentKeyId : hasClearPrivateFields(stored);
}

/** The fax as D1 stores it: its private fields sealed (the fields it does not have stay absent). */
export async function sealFax(cipher: FieldCipher, accountId: string, fax: object): Promise<Json> {
  const { [SEALED_FIELDS]: _stale, ...rest } = fax as Json;
  const present = (Object.keys(PRIVATE_FIELDS) as PrivateField[]).filter((field) => field in rest);
  if (present.every((field) => isEmpty(rest[field]))) return rest;
  const values = Object.fromEntries(present.map((field) => [field, rest[field]]));
  const stored: Json = { ...rest, [SEALED_FIELDS]: await cipher.seal(context(accountId, String(rest.id)), JSON.stringify(values)) };
  for (const field of present) stored[field] = PRIVATE_FIELDS[field];
  return stored;
}

/** The fax as it was given to sealFax (or as stored in clear before encryption). */
export async function openFax<F>(cipher: FieldCipher, accountId: string, stored: Json): Promise<F> {
  const { [SEALED_FIELDS]: sealed, ...rest } = stored;
  if (typeof sealed !== "string") return rest as F;
  return { ...rest, ...(JSON.parse(await cipher.open(context(accountId, String(rest.id)), sealed)) as Json) } as F;
}

/** Event data with its `fax` (if any) sealed. */
export async function sealEventData(cipher: FieldCipher, accountId: string, data: Json): Promise<Json> {
  return data.fax && typeof data.fax === "object" ? { ...data, fax: await sealFax(cipher, accountId, data.fax) } : data;
}

/** Event data as it was emitted. */
export async function openEventData(cipher: FieldCipher, accountId: string, data: Json): Promise<Json> {
  return data.fax && typeof data.fax === "object" ? { ...data, fax: await openFax<Json>(cipher, accountId, data.fax as Json) } : data;
}
