/**
 * `?external_user_id=` on a fax's routes (issue 15 point 3): within a partner's account, a fax is
 * visible under a user's id only when it is that user's; under another user's id it is 404, like a
 * fax of another account. The lists (/v1/faxes, /v1/faxes/received) filter by the same parameter.
 * A middleware, so every route under /v1/faxes/{id} (events, document, pages, image, text, ...) is
 * scoped without each one repeating the check.
 *
 * A fetch under the user's id is that user reading the fax: a received fax fetched so (the fax, its
 * document, image, page previews or text) is marked read in the user's inbox (read_at).
 */
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import { isFaxOfExternalUser } from "../db/fax-store";
import { setInboxRead } from "../db/inbox-store";
import { ApiError } from "../errors/api-error";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import type { AppEnv } from "./context";
import { invalid } from "./validation";

/** The reads of a fax that open it: itself, its document link, its image, a page preview, its text (not its events). */
const OPENS_FAX = /^\/v1\/faxes\/([^/]+)(?:\/(?:document|image|pages\/[^/]+|text))?$/;

export const externalUserScope = createMiddleware<AppEnv>(async (c, next) => {
  const scope = c.req.query("external_user_id");
  if (scope === undefined) return next();
  const checked = ExternalUserIdSchema.safeParse(scope);
  if (!checked.success) throw invalid(checked.error, "query:/external_user_id");
  const pathname = new URL(c.req.url).pathname;
  const faxId = /^\/v1\/faxes\/([^/]+)/.exec(pathname)?.[1];
  if (faxId === undefined || faxId === "received") return next();
  const db = database(c.env.DB);
  const caller = c.get("caller");
  const id = decodeURIComponent(faxId);
  if (!(await isFaxOfExternalUser(db, caller, checked.data, id))) throw new ApiError("fax.not_found");
  await next();
  if (c.req.method === "GET" && c.res.status === 200 && OPENS_FAX.test(pathname)) {
    await setInboxRead(db, caller, checked.data, id, new Date().toISOString());
  }
});
