/**
 * The hash chain (issue 17 point 2): each entry's `hash` is SHA-256 (hex) over the canonical JSON of the
 * entry without `hash`, which includes `prev_hash`, the hash of the entry before it (64 zeros for seq 1).
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace, JSON.stringify's strings and
 * numbers (RFC 8785 for the values an entry holds: strings, integers, null). The exported line is the
 * canonical JSON of the whole entry, so a verifier recomputes hashes from the bytes it was given.
 * Synchronous (node:crypto) so the single writer appends without yielding between reading and
 * writing the chain head; the same code runs in `npm run audit:verify`.
 */
import { createHash } from "node:crypto";
import type { AuditAction, AuditActorType, AuditTargetType } from "./catalog";

export const GENESIS_HASH = "0".repeat(64);

/** What a caller records; seq and the hashes are given by the chain's single writer. */
export interface AuditIntent {
  id: string;
  occurred_at: string;
  actor: { type: AuditActorType; id: string | null };
  action: AuditAction;
  target: { type: AuditTargetType; id: string | null };
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
}

export interface AuditEntry extends AuditIntent {
  seq: number;
  prev_hash: string;
  hash: string;
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export function entryHash(entry: Omit<AuditEntry, "hash">): string {
  const { hash: _ignored, ...rest } = entry as AuditEntry;
  return createHash("sha256").update(canonicalJson(rest)).digest("hex");
}

/** The next entry of a chain whose head is (seq, hash). */
export function chainEntry(intent: AuditIntent, head: { seq: number; hash: string }): AuditEntry {
  const unsigned = { ...intent, seq: head.seq + 1, prev_hash: head.hash };
  return { ...unsigned, hash: entryHash(unsigned) };
}

/** A signed statement of a chain's head (./checkpoint.ts signs and checks it). */
export interface ChainHead {
  account_id: string;
  seq: number;
  hash: string;
}

export type ChainCheck =
  | { ok: true; entries: number; first_seq: number | null; head: { seq: number; hash: string } | null }
  | { ok: false; seq: number; reason: string };

/**
 * Checks exported lines (in file order). The first line's prev_hash is trusted unless it is seq 1 (an
 * export of a time range starts mid-chain); every later link is checked. With a checkpoint, the chain
 * must reach its seq with its hash: a cut tail names the first missing seq.
 */
/** The seq of the first parsable entry after `index`, or null. */
function seqAfter(lines: readonly string[], index: number): number | null {
  for (const line of lines.slice(index + 1)) {
    if (line.trim() === "") continue;
    try {
      const next = JSON.parse(line) as { seq?: unknown };
      return typeof next?.seq === "number" && Number.isSafeInteger(next.seq) ? next.seq : null;
    } catch {
      return null;
    }
  }
  return null;
}

export function verifyChain(lines: readonly string[], checkpoint?: { seq: number; hash: string }): ChainCheck {
  let previous: AuditEntry | null = null;
  let firstSeq: number | null = null;
  let count = 0;
  let checkpointSeen = false;
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const expectedSeq: number | null = previous ? previous.seq + 1 : null;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      return { ok: false, seq: expectedSeq ?? index + 1, reason: `line ${index + 1} is not JSON` };
    }
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return { ok: false, seq: expectedSeq ?? index + 1, reason: `line ${index + 1} is not an audit entry` };
    const seq = typeof entry.seq === "number" ? entry.seq : (expectedSeq ?? index + 1);
    if (!Number.isSafeInteger(entry.seq) || typeof entry.hash !== "string" || typeof entry.prev_hash !== "string") {
      return { ok: false, seq, reason: `line ${index + 1} is not an audit entry` };
    }
    if (expectedSeq !== null && entry.seq !== expectedSeq) {
      return { ok: false, seq: expectedSeq, reason: `seq ${expectedSeq} expected, line ${index + 1} has seq ${entry.seq} (an entry was removed or moved)` };
    }
    if (previous === null && entry.seq === 1 && entry.prev_hash !== GENESIS_HASH) {
      return { ok: false, seq: 1, reason: "seq 1 must have the genesis prev_hash" };
    }
    if (previous !== null && entry.prev_hash !== previous.hash) {
      return { ok: false, seq: entry.seq, reason: `prev_hash of seq ${entry.seq} is not the hash of seq ${previous.seq}` };
    }
    if (entryHash(entry) !== entry.hash) {
      // A changed line's own seq field may be what was changed; on the first line nothing before it says what it
      // should be, so the line after it does (its seq minus one) when it can.
      const trueSeq = previous === null ? (seqAfter(lines, index) ?? entry.seq + 1) - 1 : entry.seq;
      const claimed = trueSeq === entry.seq ? "" : ` (its seq field now says ${entry.seq})`;
      return { ok: false, seq: trueSeq, reason: `seq ${trueSeq} was changed${claimed}: its hash does not match its content` };
    }
    if (canonicalJson(entry) !== line.trim()) return { ok: false, seq: entry.seq, reason: `seq ${entry.seq} is not in canonical form` };
    if (checkpoint && entry.seq === checkpoint.seq) {
      if (entry.hash !== checkpoint.hash) return { ok: false, seq: entry.seq, reason: `seq ${entry.seq} differs from the signed checkpoint` };
      checkpointSeen = true;
    }
    firstSeq ??= entry.seq;
    previous = entry;
    count++;
  }
  if (checkpoint && !checkpointSeen) {
    const missing = previous ? previous.seq + 1 : 1;
    if (missing <= checkpoint.seq) return { ok: false, seq: missing, reason: `the chain ends at seq ${missing - 1}; the signed checkpoint says it reached seq ${checkpoint.seq} (the tail was cut)` };
  }
  return { ok: true, entries: count, first_seq: firstSeq, head: previous ? { seq: previous.seq, hash: previous.hash } : null };
}
