/**
 * Bearer authentication: an API key (fx_test_…/fx_live_…) or an OAuth access token. Both are stored
 * only as SHA-256 hashes; looking up a hash is a constant-time question for the database, and the
 * raw secret is never compared byte by byte in our code.
 */
import { createMiddleware } from "hono/factory";
import { findCaller } from "../../db/account-store";
import { ApiError } from "../../errors/api-error";
import { sha256Hex } from "../../lib/crypto";
import { log, type Logger } from "../../lib/log";
import type { AppEnv, Caller } from "../context";

/**
 * No credential cache: every request asks D1 (one indexed lookup of the hash), so a key revoked anywhere, by
 * any path (the API, the portal, an operator in D1), and every OAuth token issued from it are refused by every
 * isolate from the next request on (issue 17 point 5, "revoked at once"). An in-isolate cache would save that
 * read but let other isolates accept a revoked key until its entry expired; `npm run bench:api` measured the
 * read as affordable (README "API keys and scopes").
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match?.[1]) {
    throw new ApiError("auth.missing", { headers: { "www-authenticate": 'Bearer realm="edgefax"' } });
  }
  const hash = await sha256Hex(match[1]);
  const hit = await findCaller(c.env.DB, hash, new Date().toISOString());
  if (!hit) {
    throw new ApiError("auth.invalid", { headers: { "www-authenticate": 'Bearer realm="edgefax", error="invalid_token"' } });
  }
  c.set("caller", hit.caller);
  // The request-id middleware runs first in the app; a bare use of this middleware starts from the root logger.
  c.set("log", ((c.get("log") as Logger | undefined) ?? log).child({ account_id: hit.caller.accountId }));
  await next();
});
