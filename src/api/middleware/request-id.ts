/**
 * Every request gets an id: a well-formed incoming `Request-Id` is kept (a proxy or client chose it),
 * anything else is replaced by a fresh `req_…`. The id goes back in the `Request-Id` response header of
 * every response (errors and 404s included), into problem+json bodies (`request_id`), and onto a child
 * logger at `c.get("log")` so every line a request writes can be found by it.
 */
import { createMiddleware } from "hono/factory";
import { newId } from "../../lib/ids";
import { log } from "../../lib/log";
import type { AppEnv } from "../context";

export const REQUEST_ID_HEADER = "Request-Id";

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming id if it is well-formed, else a new one. */
export function chooseRequestId(incoming: string | undefined): string {
  return incoming !== undefined && WELL_FORMED.test(incoming) ? incoming : newId("req");
}

export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = chooseRequestId(c.req.header(REQUEST_ID_HEADER));
  c.set("requestId", id);
  c.set("log", log.child({ request_id: id }));
  await next();
  try {
    c.res.headers.set(REQUEST_ID_HEADER, id);
  } catch {
    // A response with immutable headers (one passed through from fetch): copy it to add the header.
    const res = new Response(c.res.body, c.res);
    res.headers.set(REQUEST_ID_HEADER, id);
    c.res = res;
  }
});
