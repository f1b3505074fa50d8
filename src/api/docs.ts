/** /openapi.json (OpenAPI 3.1, generated from the zod schemas) and /docs (Scalar, served locally). */
import { Scalar } from "@scalar/hono-api-reference";
import type { App } from "./context";

export const OPENAPI_INFO: Parameters<App["doc31"]>[1] = {
  openapi: "3.1.0",
  info: {
    title: "edgefax API",
    version: "1.0.0",
    description:
      "Programmable fax at the edge: send faxes, follow them to delivery, receive them with signed webhooks. Errors are RFC 9457 problem+json with a stable `code` and a `next` hint; every POST accepts an Idempotency-Key. Test keys (fx_test_…) reach only the simulated carrier: see the magic numbers.",
    contact: { name: "edgefax maintainers", url: "https://github.com/edgefax/edgefax" },
    license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
  },
  servers: [{ url: "http://127.0.0.1:8787", description: "npm start (local)" }],
  tags: [
    { name: "Faxes", description: "Send faxes and follow them." },
    { name: "Numbers", description: "Fax numbers of your account." },
    { name: "Authentication", description: "API keys and OAuth 2.0 tokens." },
    { name: "Audit", description: "The account's hash-chained audit log, its export and signed checkpoints." },
  ],
};

export function registerDocs(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (fx_test_… or fx_live_…) or an access token from POST /oauth/token.",
  });
  app.doc31("/openapi.json", OPENAPI_INFO);
  // The Scalar bundle is a static asset (public/docs/scalar.js, copied from the npm package at
  // install), so the docs work offline.
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "edgefax API", cdn: "/docs/scalar.js" }));
  // /docs/ is not a static file (wrangler.toml sends only /docs/scalar.js to assets first): send it on.
  app.get("/docs/", (c) => c.redirect("/docs", 301));
}
