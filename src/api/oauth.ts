/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4): POST /oauth/token, form-encoded. The client is an
 * API key: client_id is its id (key_…), client_secret the key itself, in the body or as HTTP Basic
 * (§2.3.1). Errors are problem+json that also carry RFC 6749 §5.2's `error` member.
 */
import { z } from "@hono/zod-openapi";
import { issueAccessToken } from "../db/account-store";
import { ApiError } from "../errors/api-error";
import type { App } from "./context";
import { auditAs } from "./audit";
import { problemResponses } from "./openapi-common";
import { problemResponse } from "./middleware/problem";

const TOKEN_TTL_SECONDS = 3600;

const TokenSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
  })
  .openapi("AccessToken");

function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = header?.match(/^Basic\s+(\S+)$/i);
  if (!match?.[1]) return null;
  try {
    const decoded = atob(match[1]);
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}

export function registerOAuthRoutes(app: App): void {
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/oauth/token",
    operationId: "createAccessToken",
    tags: ["Authentication"],
    summary: "Get an access token",
    description: "OAuth 2.0 client credentials grant. The token works as a Bearer credential for an hour.",
    request: {
      body: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: z.object({
              grant_type: z.literal("client_credentials"),
              client_id: z.string().openapi({ example: "key_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
              client_secret: z.string().openapi({ example: "fx_test_…" }),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: "A bearer token.", content: { "application/json": { schema: TokenSchema, example: { access_token: "fxat_…", token_type: "Bearer", expires_in: 3600 } } } },
      ...problemResponses("oauth.unsupported_grant_type", "oauth.invalid_client", "request.unsupported_media_type"),
    },
  });

  app.post("/oauth/token", async (c) => {
    const contentType = c.req.header("content-type") ?? "";
    if (!contentType.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      throw new ApiError("request.unsupported_media_type", { detail: "Send the token request as application/x-www-form-urlencoded (RFC 6749 §4.4.2)." });
    }
    const form = new URLSearchParams(await c.req.text());
    const grant = form.get("grant_type");
    if (grant !== "client_credentials") {
      const response = problemResponse(c, new ApiError("oauth.unsupported_grant_type", { detail: `grant_type ${grant ?? "(missing)"} is not supported.` }));
      return withOAuthError(response, "unsupported_grant_type");
    }
    const basic = basicCredentials(c.req.header("authorization"));
    const id = basic?.id ?? form.get("client_id") ?? "";
    const secret = basic?.secret ?? form.get("client_secret") ?? "";
    const token = id && secret ? await issueAccessToken(c.env.DB, id, secret, TOKEN_TTL_SECONDS) : null;
    if (!token) {
      const response = problemResponse(c, new ApiError("oauth.invalid_client", { headers: { "www-authenticate": 'Basic realm="edgefax"' } }));
      return withOAuthError(response, "invalid_client");
    }
    auditAs(c, token.accountId, { type: "api_key", id: token.keyId }, "oauth_token.issue", { type: "api_key", id: token.keyId });
    return c.json({ access_token: token.accessToken, token_type: "Bearer" as const, expires_in: token.expiresIn }, 200, {
      "cache-control": "no-store",
    });
  });
}

async function withOAuthError(response: Response, error: string): Promise<Response> {
  const body = { ...(await response.json<Record<string, unknown>>()), error };
  return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
}
