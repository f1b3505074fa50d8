/**
 * Resending a finished outbound fax: a new fax with the original's document, cover page, options and
 * header, linked by resent_from, with the overrides a resend documents (`to`, `webhook_url`,
 * `metadata`). A new recipient gets the cover page drawn again with its own number on it.
 */
import { settings } from "../config";
import { database } from "../db/client";
import { findFaxDocumentKey } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { documentStore } from "../storage/documents";
import { createFax, type NewFax } from "./create";
import { redrawCover } from "./documents";
import type { Fax } from "./schema";

/** Only what a finished outbound fax can be resent from. */
export const RESENDABLE_STATUSES: readonly Fax["status"][] = ["delivered", "failed", "canceled"];

/** Validated overrides; `to` is already E.164. */
export interface ResendOverrides {
  to?: string;
  webhook_url?: string;
  metadata?: Record<string, string>;
}

export async function resendFax(env: Env, accountId: string, mode: "test" | "live", original: Fax, overrides: ResendOverrides): Promise<Fax> {
  if (original.direction !== "outbound" || !RESENDABLE_STATUSES.includes(original.status)) {
    throw new ApiError("fax.not_resendable", { detail: `The fax is ${original.direction} and ${original.status}.` });
  }
  const stored = await findFaxDocumentKey(database(env.DB), { accountId, mode }, original.id);
  const object = stored?.documentKey ? await documentStore(env).get(stored.documentKey) : null;
  if (!object) throw new ApiError("fax.no_document", { detail: `The document of ${original.id} is no longer stored (retention), so it cannot be resent.` });
  const pdf = await object.bytes();
  const to = overrides.to ?? original.to;
  const input: NewFax = {
    from: original.from,
    options: original.options,
    header_text: original.header_text ?? undefined,
    cover_page: original.cover_page ?? undefined,
    metadata: overrides.metadata ?? original.metadata,
    webhook_url: overrides.webhook_url ?? original.webhook_url ?? undefined,
  };
  const cover = original.cover_page;
  return createFax(
    env,
    accountId,
    mode,
    input,
    to,
    async (from, date) => {
      // The cover page names the recipient's number: another recipient gets it drawn again.
      if (!cover || to === original.to) return { pdf, pageCount: original.page_count };
      const { maxDocumentBytes, maxPages } = settings(env);
      return redrawCover(pdf, { ...cover, to: original.to, from: original.from, date: new Date(original.created_at) }, { ...cover, to, from, date }, { maxDocumentBytes, maxPages });
    },
    original.id,
  );
}
