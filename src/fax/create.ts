/**
 * Creating an outbound fax (send and resend): resolve `from`, store the document in R2, build the Fax
 * and create its FaxObject. Routes parse the request and shape the response; this owns the rest.
 */
import { releaseFaxCredits, reserveFaxCredits } from "../billing/ledger";
import { isoNow, settings } from "../config";
import { database } from "../db/client";
import { findAccountNumber, firstAccountNumber } from "../db/number-store";
import { ApiError } from "../errors/api-error";
import { newId } from "../lib/ids";
import { senderNumberOfUser } from "../partners/numbers";
import { documentStore } from "../storage/documents";
import { faxObject } from "./fax-stub";
import { faxFileKeys } from "./render/keys";
import { FaxOptionsSchema, type CoverPage, type Fax, type FaxOptions } from "./schema";
import { expectedCallMs } from "./simulated-carrier";

/** What a new fax is made of, as a request gives it (validated already). */
export interface NewFax {
  from?: string;
  options?: Partial<FaxOptions>;
  header_text?: string;
  cover_page?: CoverPage;
  metadata?: Record<string, string>;
  webhook_url?: string;
  send_at?: string;
  /** Partners: send for this user, from their number (issue 15 point 5). */
  external_user_id?: string;
}

/** The merged PDF to send, built once the sender's number (for the cover page) and the date are known. */
export type FaxDocumentSource = (from: string, date: Date) => Promise<{ pdf: Uint8Array; pageCount: number }>;

function estimatedDelivery(fax: Pick<Fax, "send_at" | "mode" | "created_at">, pageCount: number, env: Env): string {
  const start = fax.send_at ? Date.parse(fax.send_at) : Date.parse(fax.created_at);
  const compression = fax.mode === "test" ? settings(env).timeCompression : 1;
  return isoNow(start + expectedCallMs(pageCount) / compression);
}

/** Shared by send and resend: resolve `from`, store the document, create the FaxObject. */
export async function createFax(
  env: Env,
  accountId: string,
  mode: "test" | "live",
  input: NewFax,
  to: string,
  document: FaxDocumentSource,
  resentFrom: string | null = null,
): Promise<Fax> {
  const db = database(env.DB);
  const number = input.external_user_id
    ? await senderNumberOfUser(db, { accountId, mode }, input.external_user_id, input.from)
    : input.from
      ? await findAccountNumber(db, { accountId, mode }, input.from.trim())
      : await firstAccountNumber(db, accountId, mode);
  if (!number) {
    throw new ApiError("fax.sender.invalid", {
      detail: input.from ? `${input.from} is not a number of this account.` : "The account has no number yet: create one with POST /v1/numbers.",
      errors: [{ pointer: "/from", detail: "must be one of your numbers" }],
    });
  }
  const now = new Date();
  const { pdf, pageCount } = await document(number.number, now);
  const id = newId("fax", now.getTime());
  // Credits first (issue 16 point 2): a fax the balance cannot pay for is refused before anything is stored.
  await reserveFaxCredits(env, accountId, mode, id, pageCount);
  try {
    return await storeAndQueue(env, { accountId, mode, input, to, from: number.number, externalUserId: number.externalUserId, userId: number.userId, id, now, pdf, pageCount, resentFrom });
  } catch (error) {
    // Nothing was queued: the reservation goes back. (Should the FaxObject exist after all, its settle finds
    // the fax released already: the fax goes uncharged rather than charged twice.)
    await releaseFaxCredits(env, accountId, mode, id, 0);
    throw error;
  }
}

/** An accepted fax, paid for: its document goes to R2 and its FaxObject is created. */
interface AcceptedFax {
  accountId: string;
  mode: "test" | "live";
  input: NewFax;
  to: string;
  from: string;
  /** Partners: the user whose number `from` is, by the partner's id and by the user record's. */
  externalUserId: string | null;
  userId: string | null;
  id: string;
  now: Date;
  pdf: Uint8Array;
  pageCount: number;
  resentFrom: string | null;
}

async function storeAndQueue(
  env: Env,
  { accountId, mode, input, to, from, externalUserId, userId, id, now, pdf, pageCount, resentFrom }: AcceptedFax,
): Promise<Fax> {
  const key = faxFileKeys(accountId, id).document;
  await documentStore(env).put(key, pdf, { contentType: "application/pdf", customMetadata: { accountId, faxId: id } });
  // The defaults are FaxOptionsSchema's own: the schema is their one owner.
  const options = FaxOptionsSchema.parse(input.options ?? {});
  const created = now.toISOString();
  const sendAt = input.send_at ? new Date(input.send_at).toISOString() : null;
  const fax: Fax = {
    id,
    direction: "outbound",
    mode,
    status: "queued",
    to,
    from,
    page_count: pageCount,
    pages_sent: 0,
    attempts: 0,
    max_attempts: options.max_attempts,
    next_attempt_at: null,
    last_error: null,
    error: null,
    options,
    header_text: input.header_text ?? null,
    cover_page: input.cover_page ?? null,
    metadata: input.metadata ?? {},
    webhook_url: input.webhook_url ?? null,
    send_at: sendAt,
    estimated_delivery: null,
    resent_from: resentFrom,
    remote_ident: null,
    image_downloaded: null,
    created_at: created,
    updated_at: created,
    completed_at: null,
    external_user_id: externalUserId,
    purged_at: null,
  };
  fax.estimated_delivery = estimatedDelivery(fax, pageCount, env);
  return faxObject(env, id).create({ fax, accountId, documentKey: key, userId });
}
