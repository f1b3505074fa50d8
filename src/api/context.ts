import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Caller } from "../db/account-store";

/** Who is calling (src/db/account-store.ts): set by the auth middleware, read by every route to scope its queries. */
export type { Caller };

export interface AppEnv {
  Bindings: Env;
  Variables: { caller: Caller };
}

export type App = OpenAPIHono<AppEnv>;
