/**
 * /v1/settings (issue 15 point 7): the account's defaults. To add a setting: a column in
 * `account_settings` (your migration + src/db/schema.ts), a field in SettingsSchema and
 * SettingsUpdateSchema, one line in presentSettings and one in the PATCH handler's `changes`.
 * Other code reads settings with readAccountSettings (src/db/settings-store.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { settings as platformSettings } from "../config";
import { database } from "../db/client";
import { readAccountSettings, updateAccountSettings, type AccountSettingsChanges, type AccountSettingsRow } from "../db/settings-store";
import type { WebhookEndpointRow } from "../db/webhook-store";
import { closedObject } from "../lib/closed-object";
import { findDefaultEndpoint, setDefaultWebhookUrl } from "../webhooks/endpoints";
import { parseStoredSchema, schemaVersion } from "../inbound/extraction-schema";
import { EXTRACTION_SCHEMA_DESCRIPTION, EXTRACTION_SCHEMA_EXAMPLE, requireExtractionSchema } from "./inbound";
import type { App } from "./context";
import { audit } from "./audit";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { assertReceivable } from "./webhooks/schemas";

const MAX_RETENTION_DAYS = 3650;

export const SettingsSchema = z
  .object({
    webhook_url: z.string().nullable().openapi({
      description: "Every event of your key's mode is POSTed here (that mode's default webhook endpoint, subscribed to `*`; test and live keys each have their own). Manage it further under /v1/webhooks/{webhook_endpoint_id}.",
      example: "https://partner.example.com/edgefax",
    }),
    webhook_endpoint_id: z.string().nullable().openapi({ example: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    retention_days: z.number().int().openapi({
      description: "Days a finished fax keeps its files (document, pages, previews) before the purge; a number's tier may set its own. The platform default applies until you set one.",
      example: 30,
    }),
    low_balance_threshold: z.number().int().openapi({ description: "balance.low fires when the credit balance falls below this.", example: 10 }),
    // inbound (issue 14)
    extraction_schema: z.record(z.string(), z.unknown()).nullable().openapi({ description: `Received faxes are extracted into this schema (a number's own schema comes first). ${EXTRACTION_SCHEMA_DESCRIPTION}`, example: EXTRACTION_SCHEMA_EXAMPLE }),
    extraction_schema_version: z.string().nullable().openapi({ description: "Appears as extraction.schema_version on faxes extracted with this schema.", example: "sch_3f9a1c0b7d2e" }),
    updated_at: z.string().nullable().openapi({ description: "null until a setting was changed." }),
  })
  .openapi("Settings");

export const SettingsUpdatedSchema = SettingsSchema.extend({
  webhook_secret: z.string().optional().openapi({
    description: "Only when this request created the default endpoint: its signing secret, shown once (rotate it with POST /v1/webhooks/{id}/rotate-secret).",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  }),
}).openapi("SettingsUpdated");

export const SettingsUpdateSchema = closedObject({
  webhook_url: z.string().url().max(2000).nullable().optional().openapi({ description: "Set, move, or (null) remove the default webhook endpoint." }),
  retention_days: z.number().int().min(1).max(MAX_RETENTION_DAYS).nullable().optional().openapi({ description: `1-${MAX_RETENTION_DAYS}; null returns to the platform default.` }),
  low_balance_threshold: z.number().int().min(0).max(1_000_000).optional(),
  extraction_schema: z.record(z.string(), z.unknown()).nullable().optional().openapi({ description: "Set the account's extraction schema, or remove it with null. Refused with 422 extraction_schema.invalid and a pointer to each problem." }),
}).openapi("SettingsUpdate", { example: { webhook_url: "https://partner.example.com/edgefax", retention_days: 90 } });

const settingsExample = {
  webhook_url: "https://partner.example.com/edgefax",
  webhook_endpoint_id: "whe_01jd8x6r3q5v7w9y0a2b4c6d8e",
  retention_days: 90,
  low_balance_threshold: 10,
  extraction_schema: EXTRACTION_SCHEMA_EXAMPLE,
  extraction_schema_version: "sch_3f9a1c0b7d2e",
  updated_at: "2026-11-23T15:00:00.000Z",
};

async function presentSettings(env: Env, row: AccountSettingsRow, endpoint: WebhookEndpointRow | undefined | null): Promise<z.infer<typeof SettingsSchema>> {
  const extractionSchema = parseStoredSchema(row.extractionSchema);
  return {
    webhook_url: endpoint?.url ?? null,
    webhook_endpoint_id: endpoint?.id ?? null,
    retention_days: row.retentionDays ?? platformSettings(env).retentionDays,
    low_balance_threshold: row.lowBalanceThreshold,
    extraction_schema: extractionSchema as Record<string, unknown> | null,
    extraction_schema_version: extractionSchema ? await schemaVersion(extractionSchema) : null,
    updated_at: row.updatedAt === new Date(0).toISOString() ? null : row.updatedAt,
  };
}

export function registerSettingsRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/settings",
      operationId: "getSettings",
      tags: ["Settings"],
      summary: "Get your settings",
      description: "The account's defaults: the webhook URL shortcut, retention and the low-balance threshold.",
      security: bearerSecurity,
      responses: {
        200: { description: "The settings.", content: { "application/json": { schema: SettingsSchema, example: settingsExample } } },
        ...problemResponses(...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const row = await readAccountSettings(database(c.env.DB), accountId);
      return c.json(await presentSettings(c.env, row, await findDefaultEndpoint(c.env, c.get("caller"))), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/settings",
      operationId: "updateSettings",
      tags: ["Settings"],
      summary: "Change your settings",
      description:
        "Changes only the fields given. `webhook_url` creates a default webhook endpoint subscribed to every event (its secret is in this response, once), moves it to a new URL, or removes it with null. Unknown fields are refused.",
      security: bearerSecurity,
      request: { body: { required: true, content: { "application/json": { schema: SettingsUpdateSchema } } } },
      responses: {
        200: { description: "The settings after the change.", content: { "application/json": { schema: SettingsUpdatedSchema, example: settingsExample } } },
        ...problemResponses("webhook.url_refused", "request.invalid", "extraction_schema.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const accountId = c.get("caller").accountId;
      const db = database(c.env.DB);
      if (typeof body.webhook_url === "string") assertReceivable(c.env, body.webhook_url);
      const extractionSchema = body.extraction_schema ? requireExtractionSchema(body.extraction_schema, "/extraction_schema") : body.extraction_schema;
      const changes: AccountSettingsChanges = {
        ...(extractionSchema !== undefined
          ? { extractionSchema: extractionSchema ? JSON.stringify(extractionSchema) : null, extractionSchemaVersion: (await readAccountSettings(db, accountId)).extractionSchemaVersion + 1 }
          : {}),
        ...(body.retention_days !== undefined ? { retentionDays: body.retention_days } : {}),
        ...(body.low_balance_threshold !== undefined ? { lowBalanceThreshold: body.low_balance_threshold } : {}),
      };
      const hook = body.webhook_url !== undefined ? await setDefaultWebhookUrl(c.env, c.get("caller"), body.webhook_url) : null;
      const row = await updateAccountSettings(db, accountId, changes);
      const endpoint = hook ? hook.endpoint : await findDefaultEndpoint(c.env, c.get("caller"));
      audit(c, "settings.update", { type: "account", id: accountId });
      return c.json({ ...(await presentSettings(c.env, row, endpoint)), ...(hook?.secret ? { webhook_secret: hook.secret } : {}) }, 200);
    },
  );
}
