/**
 * Phone numbers are E.164, parsed with libphonenumber-js (docs/architecture.md "Conventions"). Numbers in the
 * unassigned NANP area code 555 are accepted too: they are the magic test numbers and the numbers a
 * local instance hands out, and no carrier routes them.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/min";

export function normalizeE164(input: string): string | null {
  const trimmed = input.trim();
  if (!/^\+[1-9]\d{6,14}$/.test(trimmed.replace(/[\s().-]/g, ""))) return null;
  const parsed = parsePhoneNumberFromString(trimmed);
  if (!parsed) return null;
  const e164 = parsed.number;
  if (parsed.isValid()) return e164;
  if (/^\+1555\d{7}$/.test(e164)) return e164;
  return null;
}
