/**
 * The text of received faxes (issue 14): one row per OCR'd page in `fax_page_texts`, and one row per fax in
 * the FTS5 table `fax_text_index` (https://www.sqlite.org/fts5.html) over its OCR text, sender and remote
 * ident. Every read carries the account id; user input reaches MATCH only as quoted tokens (ftsQuery).
 */
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { FieldCipher } from "../storage/fields";
import type { Db } from "./client";
import { openFax } from "./fax-private";
import { faxesOfExternalUser } from "./fax-store";
import { faxes, faxPageTexts } from "./schema";
import type { Tenant } from "./tenant";

export type PageTextRow = typeof faxPageTexts.$inferSelect;
export type NewPageText = typeof faxPageTexts.$inferInsert;

/**
 * Stores one page's reading. A page already read (done or failed) is kept: a redelivered job must not overwrite
 * or redo it. A page waiting for a retry (`retrying`) takes the new reading.
 */
export async function savePageText(db: Db, row: NewPageText): Promise<void> {
  const { accountId: _account, faxId: _fax, page: _page, ...reading } = row;
  await db
    .insert(faxPageTexts)
    .values(row)
    .onConflictDoUpdate({ target: [faxPageTexts.faxId, faxPageTexts.page], set: reading, setWhere: eq(faxPageTexts.status, "retrying") });
}

export async function listPageTexts(db: Db, accountId: string, faxId: string): Promise<PageTextRow[]> {
  return db
    .select()
    .from(faxPageTexts)
    .where(and(eq(faxPageTexts.accountId, accountId), eq(faxPageTexts.faxId, faxId)))
    .orderBy(asc(faxPageTexts.page))
    .all();
}

/** The sender as searchable words: E.164 and its digits, and for NANP the 10 national digits ("4155552671" finds "+14155552671"). */
function senderTerms(from: string): string {
  const digits = from.replace(/\D/g, "");
  return digits.length === 11 && digits.startsWith("1") ? `${from} ${digits} ${digits.slice(1)}` : `${from} ${digits}`;
}

/**
 * Replaces the fax's row in the full-text index (FTS5 has no upsert: delete, then insert, in one batch). Written
 * when the fax arrives (sender and remote ident, no text yet) and again once its pages are read.
 */
export async function indexFaxText(db: Db, f: { accountId: string; faxId: string; from: string; remoteIdent: string | null; body: string }): Promise<void> {
  // The D1 binding's own batch (one transaction): drizzle's batch takes only its query builders, and the virtual table has none.
  const d1 = db.$client;
  await d1.batch([
    d1.prepare("DELETE FROM fax_text_index WHERE account_id = ? AND fax_id = ?").bind(f.accountId, f.faxId),
    d1
      .prepare("INSERT INTO fax_text_index (account_id, fax_id, sender, remote_ident, body) VALUES (?, ?, ?, ?, ?)")
      .bind(f.accountId, f.faxId, senderTerms(f.from), f.remoteIdent ?? "", f.body),
  ]);
}

/** Removes a fax's text (retention purge). */
export async function deleteFaxText(db: Db, accountId: string, faxId: string): Promise<void> {
  const d1 = db.$client;
  await d1.batch([
    d1.prepare("DELETE FROM fax_text_index WHERE account_id = ? AND fax_id = ?").bind(accountId, faxId),
    d1.prepare("DELETE FROM fax_page_texts WHERE account_id = ? AND fax_id = ?").bind(accountId, faxId),
  ]);
}

/** At most this many words of a search are used; more only slow the match down. */
const MAX_QUERY_TOKENS = 12;

/**
 * User text as an FTS5 query that cannot carry syntax: every run of letters and digits becomes a quoted
 * string (FTS5 §3.1: inside "…" only a doubled quote is special, and tokens have none), joined by implicit
 * AND; the last word also matches as a prefix, so a search typed halfway still finds. Null when nothing
 * searchable is left (only punctuation), which matches nothing.
 */
export function ftsQuery(input: string): string | null {
  const tokens = (input.normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_QUERY_TOKENS);
  if (tokens.length === 0) return null;
  return tokens.map((t, i) => `"${t}"${i === tokens.length - 1 ? "*" : ""}`).join(" ");
}

export interface TextSearchHit<F> {
  fax: F;
  /** bm25 with sender and remote ident weighted above page text; lower is better (FTS5 §5.1.1). */
  rank: number;
  /** Up to ~12 words around the best match, the matches wrapped in [ and ]. */
  snippet: string;
}

export interface TextSearchOptions {
  limit: number;
  offset?: number;
  /** Only faxes sent to these numbers (e.g. one external user's inbox). */
  toNumbers?: string[];
  /** Partners: only the faxes of this external user's numbers (the inbox; every query carries the user). */
  externalUserId?: string;
  minCompleted?: string;
  imageDownloaded?: boolean;
  /** Partners: the inbox's read state (read_at set or not). */
  read?: boolean;
}

/**
 * The one search over received faxes' text, sender and remote ident, best match first: GET
 * /v1/faxes/received?search_text= and the partners' inbox `q` both call it. Only the account's own
 * received faxes of the caller's mode can match; fetches limit + 1 to tell whether more follow.
 */
export async function searchFaxText<F>(db: Db, tenant: Tenant, input: string, o: TextSearchOptions, cipher: FieldCipher): Promise<{ hits: TextSearchHit<F>[]; hasMore: boolean }> {
  const match = ftsQuery(input);
  if (match === null || o.toNumbers?.length === 0) return { hits: [], hasMore: false };
  const filters: SQL[] = [];
  if (o.toNumbers) filters.push(sql` AND ${faxes.to} IN (${sql.join(o.toNumbers.map((n) => sql`${n}`), sql`, `)})`);
  if (o.externalUserId !== undefined) filters.push(sql` AND ${faxesOfExternalUser(tenant, o.externalUserId)}`);
  if (o.minCompleted) filters.push(sql` AND ${faxes.completedAt} >= ${o.minCompleted}`);
  if (o.imageDownloaded !== undefined) filters.push(sql` AND json_extract(${faxes.body}, '$.image_downloaded') = ${o.imageDownloaded ? 1 : 0}`);
  if (o.read !== undefined) filters.push(o.read ? sql` AND ${faxes.readAt} IS NOT NULL` : sql` AND ${faxes.readAt} IS NULL`);
  const rows = await db.all<{ body: string; rank: number; snippet: string }>(sql`
    SELECT ${faxes.body} AS body, bm25(fax_text_index, 0, 0, 2.0, 2.0, 1.0) AS rank,
           snippet(fax_text_index, -1, '[', ']', '…', 12) AS snippet
    FROM fax_text_index AS i
    JOIN ${faxes} ON ${faxes.id} = i.fax_id AND ${faxes.accountId} = i.account_id
    WHERE fax_text_index MATCH ${match} AND i.account_id = ${tenant.accountId} AND ${faxes.mode} = ${tenant.mode}
      AND ${faxes.direction} = 'inbound' AND ${faxes.status} = 'received'${sql.join(filters, sql``)}
    ORDER BY rank, i.fax_id DESC
    LIMIT ${o.limit + 1} OFFSET ${o.offset ?? 0}`);
  const hits = await Promise.all(rows.slice(0, o.limit).map(async (r) => ({ fax: await openFax<F>(cipher, tenant.accountId, JSON.parse(r.body)), rank: r.rank, snippet: r.snippet })));
  return { hits, hasMore: rows.length > o.limit };
}
