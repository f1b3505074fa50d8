/**
 * Idempotency-Key on every POST (IETF httpapi draft "The Idempotency-Key HTTP Header Field"),
 * scoped to the account and kept 24 h in an IdempotencyObject:
 * - same key, same request: the stored response again, with `Idempotent-Replayed: true`;
 * - same key, different request: 422 `idempotency.key_reused`;
 * - the first request still running: 409 `idempotency.in_flight`.
 * Server errors (5xx) are not stored, so a retry after one runs the request again.
 */
import { createMiddleware } from "hono/factory";
import { database } from "../../db/client";
import { registerIdempotentReply } from "../../db/idempotency-store";
import { ApiError } from "../../errors/api-error";
import { sha256Hex } from "../../lib/crypto";
import { fieldCipher, isSealedField, sealedKeyId } from "../../storage/fields";
import type { AppEnv } from "../context";
import { IDEMPOTENCY_TTL_MS, idempotentReplyContext, type IdempotencyObject, type StoredResponse } from "./idempotency-object";

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ["content-type", "location"];

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError("idempotency.key_invalid", { detail: "Idempotency-Key must be 1 to 255 printable ASCII characters." });
  }
  const caller = c.get("caller");
  const body = new Uint8Array(await c.req.arrayBuffer());
  const path = new URL(c.req.url).pathname;
  const fingerprint = await sha256Hex(
    new Uint8Array([...new TextEncoder().encode(`${c.req.method} ${path}\n${c.req.header("content-type") ?? ""}\n`), ...body]),
  );
  const ns = c.env.IDEMPOTENCY as DurableObjectNamespace<IdempotencyObject>;
  const record = ns.get(ns.idFromName(`${caller.accountId}:${key}`));
  const begun = await record.begin(fingerprint);
  if (begun.outcome === "mismatch") {
    throw new ApiError("idempotency.key_reused", {
      detail: "This Idempotency-Key was first used with a different method, path or body.",
    });
  }
  if (begun.outcome === "in_flight") {
    throw new ApiError("idempotency.in_flight", { headers: { "retry-after": "1" } });
  }
  // The stored body is sealed (a fax's response carries its metadata and cover page: issue 17 point 4), bound to
  // the account and the key; bodies stored before that are replayed as they are.
  const context = idempotentReplyContext(caller.accountId, key);
  if (begun.outcome === "replay") {
    const headers = new Headers(begun.response.headers);
    headers.set("idempotent-replayed", "true");
    const replayed = isSealedField(begun.response.body) ? await fieldCipher(c.env).open(context, begun.response.body) : begun.response.body;
    return c.newResponse(replayed, begun.response.status as 200, Object.fromEntries(headers));
  }
  try {
    await next();
  } catch (error) {
    await record.release(fingerprint);
    throw error;
  }
  if (c.res.status >= 500) {
    await record.release(fingerprint);
    return;
  }
  const stored: StoredResponse = {
    status: c.res.status,
    headers: REPLAYED_HEADERS.flatMap((name) => {
      const value = c.res.headers.get(name);
      return value === null ? [] : [[name, value] as [string, string]];
    }),
    body: await fieldCipher(c.env).seal(context, await c.res.clone().text()),
  };
  // Named in D1 first, so `documents:rewrap` finds every reply kept (the object itself cannot be listed). The
  // reply is stored even if that fails: the request did its work, and a retry must replay it, not run it again.
  const now = Date.now();
  const registered = registerIdempotentReply(
    database(c.env.DB),
    { accountId: caller.accountId, idempotencyKey: key, keyId: sealedKeyId(stored.body), expiresAt: new Date(now + IDEMPOTENCY_TTL_MS).toISOString() },
    new Date(now).toISOString(),
  ).then(
    () => null,
    (error: unknown) => ({ error }),
  );
  const failed = await registered;
  await record.complete(fingerprint, stored);
  if (failed) throw failed.error;
});
