/** The Hono app: middleware order, every resource's routes, errors rendered once as problem+json. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../errors/api-error";
import { registerApiKeyRoutes } from "./api-keys";
import { registerBalanceRoutes } from "./balance";
import { registerBillingCallbacks } from "./billing-callbacks";
import { registerInvoiceRoutes } from "./invoices";
import { registerUsageRoutes } from "./usage";
import { registerAuditEventRoutes } from "./audit-events";
import type { AppEnv } from "./context";
import { registerDocs } from "./docs";
import { registerDocumentKeyRoutes } from "./document-keys";
import { registerErrorPages } from "./error-pages";
import { externalUserScope } from "./external-user-scope";
import { registerExternalUserRoutes } from "./external-users";
import { registerFaxRoutes } from "./faxes";
import { registerFileRoutes } from "./files";
import { registerGatewayCallbacks } from "./gateway-callbacks";
import { registerInboundRoutes } from "./inbound";
import { requireAuth } from "./middleware/auth";
import { requestBodyLimit } from "./middleware/body-limit";
import { idempotency } from "./middleware/idempotency";
import { notFound, problemResponse, renderError } from "./middleware/problem";
import { refuseUnknownQuery } from "./middleware/query-params";
import { rateLimit } from "./middleware/rate-limit";
import { requestId } from "./middleware/request-id";
import { requireScope } from "./middleware/scopes";
import { registerNumberRoutes } from "./numbers";
import { registerOAuthRoutes } from "./oauth";
import { registerReceivedRoutes } from "./received";
import { registerSettingsRoutes } from "./settings";
import { registerStreamRoutes } from "./streams";
import { registerWebhookRoutes } from "./webhooks";
import { invalid } from "./validation";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalid(result.error, result.target === "json" ? "" : result.target === "query" ? "query:" : "");
    },
  });

  app.use("*", requestId);
  app.get("/health", (c) => c.json({ ok: true }));

  app.use("/v1/*", requestBodyLimit);
  app.use("/v1/*", requireAuth, requireScope, rateLimit, refuseUnknownQuery(app), idempotency);
  app.use("/v1/faxes/*", externalUserScope);
  registerReceivedRoutes(app);
  registerFaxRoutes(app);
  registerNumberRoutes(app);
  registerBalanceRoutes(app);
  registerInboundRoutes(app);
  registerUsageRoutes(app);
  registerInvoiceRoutes(app);
  registerWebhookRoutes(app);
  registerSettingsRoutes(app);
  registerExternalUserRoutes(app);
  registerStreamRoutes(app);
  registerOAuthRoutes(app);
  registerApiKeyRoutes(app);
  registerAuditEventRoutes(app);
  registerFileRoutes(app);
  registerErrorPages(app);
  registerDocs(app);
  registerGatewayCallbacks(app);
  registerBillingCallbacks(app);
  registerDocumentKeyRoutes(app);

  app.onError(renderError);
  app.notFound((c) => {
    // A known path with another method is a 405 with Allow (RFC 9110 §15.5.6), not a 404.
    const path = new URL(c.req.url).pathname;
    const allowed = new Set<string>();
    for (const route of app.routes) {
      if (route.method === "ALL" || route.path.includes("*")) continue;
      const pattern = new RegExp("^" + route.path.replace(/:[^/]+/g, "[^/]+") + "$");
      if (pattern.test(path)) allowed.add(route.method);
    }
    if (allowed.size > 0) {
      return problemResponse(
        c,
        new ApiError("request.method_not_allowed", { detail: `${c.req.method} is not allowed on ${path}.`, headers: { allow: [...allowed].join(", ") } }),
      );
    }
    return notFound(c);
  });
  return app;
}
