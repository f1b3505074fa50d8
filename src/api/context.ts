import type { OpenAPIHono } from "@hono/zod-openapi";

/** Who is calling: set by the auth middleware, read by every route to scope its queries. */
export interface Caller {
  accountId: string;
  keyId: string;
  mode: "test" | "live";
  rateLimitPerMinute: number | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { caller: Caller };
}

export type App = OpenAPIHono<AppEnv>;
