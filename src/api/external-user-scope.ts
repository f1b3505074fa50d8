/**
 * `?external_user_id=` on a fax's routes (issue 15 point 3): within a partner's account, a fax is
 * visible under a user's id only when it is that user's; under another user's id it is 404, like a
 * fax of another account. The lists (/v1/faxes, /v1/faxes/received) filter by the same parameter.
 * A middleware, so every route under /v1/faxes/{id} (events, document, pages, image, text, ...) is
 * scoped without each one repeating the check.
 */
import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import { isFaxOfExternalUser } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import type { AppEnv } from "./context";
import { invalid } from "./validation";

export const externalUserScope = createMiddleware<AppEnv>(async (c, next) => {
  const scope = c.req.query("external_user_id");
  if (scope === undefined) return next();
  const checked = ExternalUserIdSchema.safeParse(scope);
  if (!checked.success) throw invalid(checked.error, "query:/external_user_id");
  const faxId = /^\/v1\/faxes\/([^/]+)/.exec(new URL(c.req.url).pathname)?.[1];
  if (faxId !== undefined && faxId !== "received") {
    if (!(await isFaxOfExternalUser(database(c.env.DB), c.get("caller").accountId, checked.data, decodeURIComponent(faxId)))) throw new ApiError("fax.not_found");
  }
  return next();
});
