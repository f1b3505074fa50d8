/**
 * /v1/numbers: the fax numbers of an account, and (issue 15 point 2) the dedicated numbers of a partner's
 * users, with their tier, monthly usage, tier changes, and release with a grace period and quarantine.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { findNumber, listNumbers, updateNumber } from "../db/number-store";
import { ApiError } from "../errors/api-error";
import { closedObject } from "../lib/closed-object";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import { presentNumber } from "../partners/number-events";
import { provisionPartnerNumber, releasePartnerNumber } from "../partners/numbers";
import { TIER_NAMES } from "../partners/tiers";
import { numberUsage } from "../partners/usage";
import type { App } from "./context";
import { audit } from "./audit";
import { AUTH_ERRORS, bearerSecurity, IdempotencyKeyHeader, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";

export const FaxNumberSchema = z
  .object({
    id: z.string().openapi({ example: "num_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    number: z.string().openapi({ example: "+15550101234" }),
    mode: z.enum(["test", "live"]),
    label: z.string().nullable(),
    external_user_id: z.string().nullable().openapi({ description: "The user of yours the number is dedicated to (partners)." }),
    tier: z.enum(TIER_NAMES).nullable().openapi({ description: "personal: 200 inbound pages a month, 60-day retention; business: 1,000 pages, 180 days (the operator may change the figures)." }),
    created_at: z.string(),
  })
  .openapi("FaxNumber");

const UsageSchema = z
  .object({
    month: z.string().openapi({ example: "2026-11", description: "The calendar month (UTC) counted." }),
    inbound_pages: z.number().int(),
    included_pages: z.number().int().nullable().openapi({ description: "The tier's allowance; null without a tier. Faxes over it are still received." }),
    tier_limit_reached: z.boolean(),
  })
  .openapi("NumberUsage");

const FaxNumberWithUsageSchema = FaxNumberSchema.extend({ usage: UsageSchema }).openapi("FaxNumberWithUsage");

const numberExample = {
  id: "num_01jd8x6r3q5v7w9y0a2b4c6d8e",
  number: "+15550101234",
  mode: "test" as const,
  label: "Front desk",
  external_user_id: "patient-8841",
  tier: "personal" as const,
  created_at: "2026-11-23T15:00:00.000Z",
};
const usageExample = { month: "2026-11", inbound_pages: 12, included_pages: 200, tier_limit_reached: false };

const present = presentNumber;

const NumberCreateSchema = closedObject({
  label: z.string().max(100).optional(),
  external_user_id: ExternalUserIdSchema.optional().openapi({ description: "Dedicate the number to one of your users (PUT /v1/external-users/{external_user_id} first)." }),
  tier: z.enum(TIER_NAMES).optional().openapi({ description: "Defaults to personal for a user's number; none otherwise." }),
  area_code: z
    .string()
    .regex(/^[2-9]\d{2}$/, { error: "area_code is a 3-digit North American area code, such as 415" })
    .optional()
    .openapi({ description: "A number in this area code, or 409 number.area_code_unavailable naming the area codes available.", example: "555" }),
}).openapi("NumberCreate", { example: { external_user_id: "patient-8841", tier: "personal", area_code: "555" } });

const NumberUpdateSchema = closedObject({
  tier: z.enum(TIER_NAMES).optional().openapi({ description: "The new tier; its allowance and retention apply from now on (this month's count is kept)." }),
  label: z.string().max(100).nullable().optional(),
}).openapi("NumberUpdate", { example: { tier: "business" } });

const NumberIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "num_01jd8x6r3q5v7w9y0a2b4c6d8e" }) });

export function registerNumberRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/numbers",
      operationId: "listNumbers",
      tags: ["Numbers"],
      summary: "List your numbers",
      description: "The account's active fax numbers, newest first.",
      security: bearerSecurity,
      request: {
        query: ListQuerySchema.extend({
          label: z.string().max(100).optional().openapi({ description: "Only numbers with exactly this label.", example: "Front desk" }),
          external_user_id: ExternalUserIdSchema.optional().openapi({ description: "Only the numbers of this user of yours." }),
        }),
      },
      responses: {
        200: { description: "A page of numbers.", content: { "application/json": { schema: listSchema(FaxNumberSchema, "FaxNumberList"), example: { data: [numberExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listNumbers(database(c.env.DB), c.get("caller"), q.limit, q.cursor ? decodeCursor(q.cursor) : undefined, q.label, q.external_user_id);
      return c.json(pageResponse(page, present), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/numbers",
      operationId: "provisionNumber",
      tags: ["Numbers"],
      summary: "Get a number",
      description:
        "Test keys get a fictional +1 555 010 number; live keys get one from the operator's pool (LIVE_NUMBER_POOL). With `external_user_id` the number is dedicated to that user of yours, with a tier. Released numbers are not handed out again during their quarantine.",
      security: bearerSecurity,
      request: {
        headers: IdempotencyKeyHeader,
        body: { required: false, content: { "application/json": { schema: NumberCreateSchema } } },
      },
      responses: {
        201: { description: "The new number.", content: { "application/json": { schema: FaxNumberSchema, example: numberExample } } },
        ...problemResponses("number.unavailable", "number.area_code_unavailable", "external_user.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const externalUserId = body.external_user_id ?? null;
      const row = await provisionPartnerNumber(c.env, database(c.env.DB), caller.accountId, caller.mode, {
        label: body.label ?? null,
        externalUserId,
        tier: body.tier ?? (externalUserId !== null ? "personal" : null),
        areaCode: body.area_code ?? null,
      });
      audit(c, "number.provision", { type: "number", id: row.id });
      return c.json(present(row), 201, { location: `/v1/numbers/${row.id}` });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/numbers/{id}",
      operationId: "getNumber",
      tags: ["Numbers"],
      summary: "Get a number",
      description: "One of the account's numbers, with this month's inbound pages against its tier.",
      security: bearerSecurity,
      request: { params: NumberIdParams },
      responses: {
        200: { description: "The number.", content: { "application/json": { schema: FaxNumberWithUsageSchema, example: { ...numberExample, usage: usageExample } } } },
        ...problemResponses("number.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const db = database(c.env.DB);
      const row = await findNumber(db, c.get("caller"), c.req.valid("param").id);
      if (!row) throw new ApiError("number.not_found");
      return c.json({ ...present(row), usage: await numberUsage(c.env, db, row) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/numbers/{id}",
      operationId: "updateNumber",
      tags: ["Numbers"],
      summary: "Change a number's tier or label",
      description: "A tier change applies at once: the new allowance to this month's count, the new retention at the next purge.",
      security: bearerSecurity,
      request: { params: NumberIdParams, body: { required: true, content: { "application/json": { schema: NumberUpdateSchema } } } },
      responses: {
        200: { description: "The number.", content: { "application/json": { schema: FaxNumberWithUsageSchema, example: { ...numberExample, tier: "business" as const, usage: { ...usageExample, included_pages: 1000 } } } } },
        ...problemResponses("number.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const db = database(c.env.DB);
      const row = await updateNumber(db, c.get("caller"), c.req.valid("param").id, {
        ...(body.tier !== undefined ? { tier: body.tier } : {}),
        ...(body.label !== undefined ? { label: body.label } : {}),
      });
      if (!row) throw new ApiError("number.not_found");
      audit(c, "number.update", { type: "number", id: row.id });
      return c.json({ ...present(row), usage: await numberUsage(c.env, db, row) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/numbers/{id}",
      operationId: "releaseNumber",
      tags: ["Numbers"],
      summary: "Release a number",
      description:
        "Calls to the number still reach this account for the grace period (NUMBER_RELEASE_GRACE_HOURS, default 72), then are refused (SIP 404); nobody else gets the number during its quarantine (NUMBER_QUARANTINE_DAYS, default 90).",
      security: bearerSecurity,
      request: { params: NumberIdParams },
      responses: {
        200: { description: "The released number.", content: { "application/json": { schema: FaxNumberSchema, example: numberExample } } },
        ...problemResponses("number.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const row = await releasePartnerNumber(c.env, database(c.env.DB), c.get("caller"), c.req.valid("param").id);
      if (!row) throw new ApiError("number.not_found");
      audit(c, "number.release", { type: "number", id: row.id });
      return c.json(present(row), 200);
    },
  );
}
