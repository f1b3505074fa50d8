/**
 * Prefixed, random-sortable IDs (docs/architecture.md "Conventions"): a prefix, then 10 Crockford base32
 * characters of milliseconds since the epoch and 16 of randomness (ULID layout), lower-cased.
 * Sorting IDs sorts by creation time, which is what cursor pagination relies on.
 */
const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

export const ID_PREFIXES = ["fax", "num", "acct", "key", "whe", "evt", "msg", "usr", "att", "req", "aud", "txn", "pur", "inv", "mem", "lnk", "pay", "ses"] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export function newId(prefix: IdPrefix, nowMs: number = Date.now()): string {
  let time = "";
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let tail = "";
  for (const byte of random) tail += CROCKFORD[byte % 32];
  return `${prefix}_${time}${tail}`;
}

const ID_PATTERN = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
