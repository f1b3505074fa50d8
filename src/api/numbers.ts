/** /v1/numbers: the fax numbers of an account (enough for `from`; partner numbering comes later). */
import { createRoute, z } from "@hono/zod-openapi";
import { settings } from "../config";
import { database, type Db } from "../db/client";
import { findNumber, listNumbers, provisionNumber, releaseNumber, type NumberChangeStatements, type NumberRow } from "../db/number-store";
import type { EventType, PlatformEvent } from "../events/catalog";
import { ApiError } from "../errors/api-error";
import { closedObject } from "../lib/closed-object";
import { accountEvent, publishAccountEvents } from "../webhooks/account-events";
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
    created_at: z.string(),
  })
  .openapi("FaxNumber");

const numberExample = { id: "num_01jd8x6r3q5v7w9y0a2b4c6d8e", number: "+15550101234", mode: "test" as const, label: "Front desk", created_at: "2026-11-23T15:00:00.000Z" };

function present(row: NumberRow) {
  return { id: row.id, number: row.number, mode: row.mode, label: row.label, created_at: row.createdAt };
}

/**
 * The number's event, recorded in the batch that changes the number (only if that batch does) and
 * published once it is stored. `data.number` is the number as the API shows it, released_at included.
 */
function numberEvent(db: Db, type: EventType): { alongside: NumberChangeStatements; recorded: PlatformEvent[] } {
  const recorded: PlatformEvent[] = [];
  const alongside: NumberChangeStatements = (row, active) => {
    const { event, statement } = accountEvent(
      db,
      { accountId: row.accountId, mode: row.mode, type, data: { number: { ...present(row), released_at: row.releasedAt } } },
      type === "number.released" ? active : undefined,
    );
    recorded.splice(0, recorded.length, event);
    return [statement];
  };
  return { alongside, recorded };
}

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
      request: { query: ListQuerySchema.extend({ label: z.string().max(100).optional().openapi({ description: "Only numbers with exactly this label.", example: "Front desk" }) }) },
      responses: {
        200: { description: "A page of numbers.", content: { "application/json": { schema: listSchema(FaxNumberSchema, "FaxNumberList"), example: { data: [numberExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listNumbers(database(c.env.DB), c.get("caller").accountId, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined, q.label);
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
      description: "Test keys get a fictional +1 555 010 number; live keys get one from the operator's pool (LIVE_NUMBER_POOL).",
      security: bearerSecurity,
      request: {
        headers: IdempotencyKeyHeader,
        body: { required: false, content: { "application/json": { schema: closedObject({ label: z.string().max(100).optional() }).openapi("NumberCreate", { example: { label: "Front desk" } }) } } },
      },
      responses: {
        201: { description: "The new number.", content: { "application/json": { schema: FaxNumberSchema, example: numberExample } } },
        ...problemResponses("number.unavailable", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
      const db = database(c.env.DB);
      const provisioned = numberEvent(db, "number.provisioned");
      const row = await provisionNumber(db, caller.accountId, caller.mode, settings(c.env).liveNumberPool, body.label ?? null, provisioned.alongside);
      if (!row) {
        const pool = settings(c.env).liveNumberPool.length;
        throw new ApiError("number.unavailable", {
          detail:
            caller.mode === "live"
              ? `Every number in the operator's pool (${pool}) is taken.`
              : "No free test number was found this time.",
        });
      }
      await publishAccountEvents(c.env, caller.accountId, provisioned.recorded);
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
      description: "One of the account's numbers.",
      security: bearerSecurity,
      request: { params: NumberIdParams },
      responses: {
        200: { description: "The number.", content: { "application/json": { schema: FaxNumberSchema, example: numberExample } } },
        ...problemResponses("number.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const row = await findNumber(database(c.env.DB), c.get("caller").accountId, c.req.valid("param").id);
      if (!row) throw new ApiError("number.not_found");
      return c.json(present(row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/numbers/{id}",
      operationId: "releaseNumber",
      tags: ["Numbers"],
      summary: "Release a number",
      description: "The number stops receiving faxes for this account and returns to the pool.",
      security: bearerSecurity,
      request: { params: NumberIdParams },
      responses: {
        200: { description: "The released number.", content: { "application/json": { schema: FaxNumberSchema, example: numberExample } } },
        ...problemResponses("number.not_found", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const db = database(c.env.DB);
      const accountId = c.get("caller").accountId;
      const released = numberEvent(db, "number.released");
      const row = await releaseNumber(db, accountId, c.req.valid("param").id, released.alongside);
      if (!row) throw new ApiError("number.not_found");
      await publishAccountEvents(c.env, accountId, released.recorded);
      audit(c, "number.release", { type: "number", id: row.id });
      return c.json(present(row), 200);
    },
  );
}
