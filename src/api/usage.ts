/** /v1/usage: faxes, pages in and out and credits over a time range, grouped (issue 16 point 5). */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { USAGE_GROUPS, usageBetween, type UsageGroup } from "../db/usage-store";
import { ApiError } from "../errors/api-error";
import type { App } from "./context";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";

const MAX_RANGE_DAYS = 366;

const Instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

const UsageQuerySchema = z.object({
  from: Instant.optional().openapi({ param: { name: "from", in: "query" }, description: "Start (inclusive): a date or a time. Default: the first day of this month (UTC).", example: "2026-11-01" }),
  to: Instant.optional().openapi({ param: { name: "to", in: "query" }, description: "End (exclusive). Default: now.", example: "2026-12-01" }),
  group_by: z
    .enum(Object.keys(USAGE_GROUPS) as [UsageGroup, ...UsageGroup[]])
    .default("day")
    .openapi({ param: { name: "group_by", in: "query" }, description: "day (UTC), number (yours: the sender of a fax sent, the callee of one received) or external_user (the user record, `usr_…`, with the partner's external_user_id beside it: a deleted user and a later one under the same external_user_id are two groups; null for faxes of no user)." }),
});

const UsageCountsSchema = z.object({
  faxes_sent: z.number().int(),
  faxes_received: z.number().int(),
  pages_sent: z.number().int(),
  pages_received: z.number().int(),
  credits: z.number().int().openapi({ description: "Credits the faxes took (held, for a fax still in progress)." }),
});

const UsageSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    group_by: z.enum(Object.keys(USAGE_GROUPS) as [UsageGroup, ...UsageGroup[]]),
    data: z.array(
      UsageCountsSchema.extend({
        group: z.string().nullable().openapi({ example: "2026-11-03" }),
        external_user: z
          .object({
            external_user_id: z.string().openapi({ example: "patient-8841" }),
            deleted: z.boolean().openapi({ description: "The user record was deleted (its external_user_id may now name another user, who is another group)." }),
          })
          .nullable()
          .optional()
          .openapi({ description: "group_by=external_user only: the partner's id of the group's user; null for faxes of no user." }),
      }),
    ),
    totals: UsageCountsSchema,
  })
  .openapi("Usage");

export function registerUsageRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/usage",
      operationId: "getUsage",
      tags: ["Billing"],
      summary: "Get usage",
      description: `Faxes and pages sent and received, and credits used, in [from, to) (at most ${MAX_RANGE_DAYS} days), grouped by day, number or external user. Counts the faxes created in the range, in the key's mode.`,
      security: bearerSecurity,
      request: { query: UsageQuerySchema },
      responses: {
        200: { description: "Usage in the range.", content: { "application/json": { schema: UsageSchema } } },
        ...problemResponses("request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { accountId, mode } = c.get("caller");
      const q = c.req.valid("query");
      const now = new Date();
      const from = q.from ? new Date(q.from) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const to = q.to ? new Date(q.to) : now;
      if (!(from < to) || to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
        throw new ApiError("request.invalid", {
          detail: `from must be before to, at most ${MAX_RANGE_DAYS} days apart.`,
          errors: [{ pointer: "query:/to", detail: `after from and within ${MAX_RANGE_DAYS} days of it` }],
        });
      }
      const rows = await usageBetween(database(c.env.DB), accountId, mode, from.toISOString(), to.toISOString(), q.group_by);
      const totals = { faxes_sent: 0, faxes_received: 0, pages_sent: 0, pages_received: 0, credits: 0 };
      for (const row of rows) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += row[k];
      const data = rows.map(({ external_user_id, user_deleted, ...counts }) =>
        q.group_by === "external_user" ? { ...counts, external_user: external_user_id ? { external_user_id, deleted: user_deleted === 1 } : null } : counts,
      );
      return c.json({ from: from.toISOString(), to: to.toISOString(), group_by: q.group_by, data, totals }, 200);
    },
  );
}
