import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Caller } from "../db/account-store";
import type { Logger } from "../lib/log";

/** Who is calling (src/db/account-store.ts): set by the auth middleware, read by every route to scope its queries. */
export type { Caller };

export interface AppEnv {
  Bindings: Env;
  /** `requestId` and `log` (a logger with request_id, and account_id once authenticated) are set first, by the request-id middleware. */
  Variables: { caller: Caller; requestId: string; log: Logger };
}

export type App = OpenAPIHono<AppEnv>;
