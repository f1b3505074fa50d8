/**
 * /v1/external-users (issue 15 points 1 and 4): a partner's own users, keyed by the partner's id,
 * each with dedicated numbers and an inbox of the faxes received on them. Every query carries the
 * account, the caller's mode and the external user: another partner, a user of the other mode (a test
 * key's users are not a live key's), or another user's id, finds nothing (404).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database, type Db } from "../db/client";
import { openUserMetadata } from "../db/external-user-private";
import { findExternalUser, listExternalUsers, upsertExternalUser, type ExternalUserRow } from "../db/external-user-store";
import { findFax, listReceivedFaxes } from "../db/fax-store";
import { inboxReadTimes, setInboxRead } from "../db/inbox-store";
import { searchFaxText } from "../db/fax-text-store";
import { numbersOfExternalUsers, type NumberRow } from "../db/number-store";
import type { Tenant } from "../db/tenant";
import { ApiError } from "../errors/api-error";
import { MetadataSchema, type Fax } from "../fax/schema";
import { inboundView } from "../fax/view";
import { closedObject } from "../lib/closed-object";
import { ExternalUserIdSchema } from "../partners/external-user-id";
import { refuseIdInGrace, removeExternalUser } from "../partners/external-users";
import { TIER_NAMES } from "../partners/tiers";
import { audit, auditExtractionReads } from "./audit";
import { faxesShowingExtraction } from "../audit/extraction-reads";
import type { App } from "./context";
import { MetadataFilterQuery, metadataFilters } from "./faxes";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { decodeSearchCursor, encodeSearchCursor, ReceivedFaxSchema } from "./received";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";
import { fieldCipher } from "../storage/fields";

const UserNumberSchema = z
  .object({ id: z.string(), number: z.string(), tier: z.enum(TIER_NAMES).nullable() })
  .openapi("ExternalUserNumber");

export const ExternalUserSchema = z
  .object({
    id: z.string().openapi({ example: "usr_01jd8x6r3q5v7w9y0a2b4c6d8e", description: "Our id for the user; the API addresses users by external_user_id." }),
    external_user_id: z.string().openapi({ example: "patient-8841" }),
    name: z.string().nullable(),
    email: z.string().nullable(),
    metadata: z.record(z.string(), z.string()),
    numbers: z.array(UserNumberSchema).openapi({ description: "The user's active numbers, oldest first." }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ExternalUser");

const DeletedExternalUserSchema = ExternalUserSchema.extend({
  deleted_at: z.string(),
  released_numbers: z.array(UserNumberSchema).openapi({ description: "The numbers this released (calls still reach you during the grace period)." }),
}).openapi("DeletedExternalUser");

const ExternalUserPutSchema = closedObject({
  name: z.string().max(200).nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  metadata: MetadataSchema.optional(),
}).openapi("ExternalUserPut", { example: { name: "Dana Rivera", email: "dana@example.com", metadata: { clinic: "north" } } });

const userExample = {
  id: "usr_01jd8x6r3q5v7w9y0a2b4c6d8e",
  external_user_id: "patient-8841",
  name: "Dana Rivera",
  email: "dana@example.com",
  metadata: { clinic: "north" },
  numbers: [{ id: "num_01jd8x6r3q5v7w9y0a2b4c6d8e", number: "+15550101234", tier: "personal" as const }],
  created_at: "2026-11-23T15:00:00.000Z",
  updated_at: "2026-11-23T15:00:00.000Z",
};

const UserParams = z.object({
  external_user_id: ExternalUserIdSchema.openapi({ param: { name: "external_user_id", in: "path" }, example: "patient-8841" }),
});

const booleanQuery = z.enum(["true", "false"]).transform((v) => v === "true");

const InboxFaxSchema = ReceivedFaxSchema.extend({
  read_at: z.string().nullable().openapi({
    description: "When the user read the fax: the first fetch of it or its files under ?external_user_id= of this user, or PATCH …/inbox/{fax_id}. Null while unread.",
    example: null,
  }),
}).openapi("InboxFax");

const InboxFaxParams = UserParams.extend({
  fax_id: z.string().openapi({ param: { name: "fax_id", in: "path" }, example: "fax_01jd8x6r3q5v7w9y0a2b4c6d8f" }),
});

const InboxFaxPatchSchema = closedObject({
  read: z.boolean().openapi({ description: "true marks the fax read (keeping the first read time), false unread." }),
}).openapi("InboxFaxPatch", { example: { read: false } });

const presentNumber = (n: NumberRow) => ({ id: n.id, number: n.number, tier: n.tier });

async function presentUser(env: Env, user: ExternalUserRow, numbers: NumberRow[]): Promise<z.infer<typeof ExternalUserSchema>> {
  return {
    id: user.id,
    external_user_id: user.externalUserId,
    name: user.name,
    email: user.email,
    metadata: await openUserMetadata(fieldCipher(env), user),
    numbers: numbers.filter((n) => n.externalUserId === user.externalUserId).map(presentNumber),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

async function userOr404(db: Db, tenant: Tenant, externalUserId: string): Promise<ExternalUserRow> {
  const user = await findExternalUser(db, tenant, externalUserId);
  if (!user) throw new ApiError("external_user.not_found", { detail: `No external user ${externalUserId} in this account.` });
  return user;
}

export function registerExternalUserRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/external-users/{external_user_id}",
      operationId: "putExternalUser",
      tags: ["Partners"],
      summary: "Create or replace an external user",
      description:
        "Your own user, under your own id. Creates it (201) or replaces its name, email and metadata (200); repeating the request changes nothing. The id of a deleted user is refused (409 `external_user.id_in_grace`) while any of that user's released numbers is in its release grace period, since faxes on them still carry the id; the detail says until when.",
      security: bearerSecurity,
      request: { params: UserParams, body: { required: true, content: { "application/json": { schema: ExternalUserPutSchema } } } },
      responses: {
        200: { description: "The user, replaced.", content: { "application/json": { schema: ExternalUserSchema, example: userExample } } },
        201: { description: "The user, created.", content: { "application/json": { schema: ExternalUserSchema, example: userExample } } },
        ...problemResponses("external_user.id_in_grace", "external_user.changed_concurrently", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const { external_user_id } = c.req.valid("param");
      const body = c.req.valid("json");
      const db = database(c.env.DB);
      await refuseIdInGrace(c.env, db, tenant, external_user_id);
      const { user, created } = await upsertExternalUser(db, tenant, external_user_id, { name: body.name ?? null, email: body.email ?? null, metadata: body.metadata ?? {} }, fieldCipher(c.env));
      const numbers = created ? [] : await numbersOfExternalUsers(db, tenant, [external_user_id]);
      audit(c, created ? "external_user.create" : "external_user.update", { type: "external_user", id: user.id });
      const location = { location: `/v1/external-users/${encodeURIComponent(external_user_id)}` };
      const shown = await presentUser(c.env, user, numbers);
      return created ? c.json(shown, 201, location) : c.json(shown, 200, location);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/external-users/{external_user_id}",
      operationId: "getExternalUser",
      tags: ["Partners"],
      summary: "Get an external user",
      description: "The user, by your id for it, with its active numbers.",
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        200: { description: "The user with its numbers.", content: { "application/json": { schema: ExternalUserSchema, example: userExample } } },
        ...problemResponses("external_user.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const { external_user_id } = c.req.valid("param");
      const db = database(c.env.DB);
      const user = await userOr404(db, tenant, external_user_id);
      return c.json(await presentUser(c.env, user, await numbersOfExternalUsers(db, tenant, [external_user_id])), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/external-users",
      operationId: "listExternalUsers",
      tags: ["Partners"],
      summary: "List external users",
      description: "Newest first. Filter by creation time, or by `metadata[key]=value` (up to 5, all must hold).",
      security: bearerSecurity,
      request: {
        query: ListQuerySchema.extend({
          created_after: z.iso.datetime({ offset: true }).optional(),
          created_before: z.iso.datetime({ offset: true }).optional(),
          metadata: MetadataFilterQuery,
        }),
      },
      responses: {
        200: { description: "A page of users.", content: { "application/json": { schema: listSchema(ExternalUserSchema, "ExternalUserList"), example: { data: [userExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.cursor_invalid", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const q = c.req.valid("query");
      const db = database(c.env.DB);
      const page = await listExternalUsers(
        db,
        tenant,
        {
          metadata: metadataFilters(new URL(c.req.url).searchParams),
          createdAfter: q.created_after ? new Date(q.created_after).toISOString() : undefined,
          createdBefore: q.created_before ? new Date(q.created_before).toISOString() : undefined,
          before: q.cursor ? decodeCursor(q.cursor) : undefined,
          limit: q.limit,
        },
        fieldCipher(c.env),
      );
      const numbers = await numbersOfExternalUsers(db, tenant, page.data.map((u) => u.externalUserId));
      const shown = await Promise.all(page.data.map((user) => presentUser(c.env, user, numbers)));
      return c.json(pageResponse({ ...page, data: shown }), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/external-users/{external_user_id}",
      operationId: "deleteExternalUser",
      tags: ["Partners"],
      summary: "Delete an external user",
      description:
        "Releases the user's numbers (calls still reach you during the release grace period, then the number is quarantined). The user's faxes stay, with their files until their retention ends; the id can be used again for a new user once the released numbers' grace period ends (PUT answers 409 `external_user.id_in_grace` until then).",
      security: bearerSecurity,
      request: { params: UserParams },
      responses: {
        200: { description: "The deleted user.", content: { "application/json": { schema: DeletedExternalUserSchema, example: { ...userExample, numbers: [], deleted_at: "2026-11-24T15:00:00.000Z", released_numbers: userExample.numbers } } } },
        ...problemResponses("external_user.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const { external_user_id } = c.req.valid("param");
      const removed = await removeExternalUser(c.env, database(c.env.DB), tenant, external_user_id);
      if (!removed) throw new ApiError("external_user.not_found", { detail: `No external user ${external_user_id} in this account.` });
      audit(c, "external_user.delete", { type: "external_user", id: removed.user.id });
      for (const number of removed.released) audit(c, "number.release", { type: "number", id: number.id });
      return c.json({ ...(await presentUser(c.env, removed.user, [])), deleted_at: removed.user.deletedAt ?? removed.user.updatedAt, released_numbers: removed.released.map(presentNumber) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/external-users/{external_user_id}/inbox",
      operationId: "getExternalUserInbox",
      tags: ["Partners"],
      summary: "A user's inbox",
      description:
        "The faxes received on the user's numbers, newest first (50 by default). `q` is a full-text search over their OCR text, sender and remote ident (best match first, each with `search.rank` and `search.snippet`, as `search_text` on GET /v1/faxes/received); `unread=true` lists the faxes the user has not read yet (`read_at` null: a fetch of the fax or its files under `?external_user_id=` of this user reads it, and PATCH …/inbox/{fax_id} sets or clears it); `image_downloaded` filters on any download of the image.",
      security: bearerSecurity,
      request: {
        params: UserParams,
        query: ListQuerySchema.extend({
          limit: z.coerce.number().int().min(1).max(100).default(50).openapi({ param: { name: "limit", in: "query" }, example: 50 }),
          q: z.string().min(1).max(100).optional().openapi({ example: "+1415" }),
          unread: booleanQuery.optional().openapi({ type: "string", enum: ["true", "false"] }),
          image_downloaded: booleanQuery.optional().openapi({ type: "string", enum: ["true", "false"] }),
        }),
      },
      responses: {
        200: { description: "A page of the user's received faxes.", content: { "application/json": { schema: listSchema(InboxFaxSchema, "InboxPage") } } },
        ...problemResponses("external_user.not_found", "request.cursor_invalid", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const { external_user_id } = c.req.valid("param");
      const q = c.req.valid("query");
      const db = database(c.env.DB);
      await userOr404(db, tenant, external_user_id);
      const filter = { externalUserId: external_user_id, imageDownloaded: q.image_downloaded, read: q.unread === undefined ? undefined : !q.unread };
      if (q.q !== undefined) {
        // The one full-text search of received faxes (src/db/fax-text-store.ts), scoped to the user.
        const offset = q.cursor ? decodeSearchCursor(q.cursor) : 0;
        const found = await searchFaxText<Fax>(db, tenant, q.q, { limit: q.limit, offset, ...filter }, fieldCipher(c.env));
        const readAt = await inboxReadTimes(db, tenant, found.hits.map((h) => h.fax.id));
        auditExtractionReads(c, faxesShowingExtraction(found.hits.map((h) => h.fax)));
        return c.json(
          {
            data: found.hits.map((h) => ({ ...inboundView(h.fax), read_at: readAt.get(h.fax.id) ?? null, search: { rank: h.rank, snippet: h.snippet } })),
            has_more: found.hasMore,
            next_cursor: found.hasMore ? encodeSearchCursor(offset + q.limit) : null,
          },
          200,
        );
      }
      const page = await listReceivedFaxes<Fax>(db, tenant, { ...filter, before: q.cursor ? decodeCursor(q.cursor) : undefined, limit: q.limit }, fieldCipher(c.env));
      const readAt = await inboxReadTimes(db, tenant, page.data.map((f) => f.id));
      auditExtractionReads(c, faxesShowingExtraction(page.data));
      return c.json(pageResponse(page, (fax) => ({ ...inboundView(fax), read_at: readAt.get(fax.id) ?? null })), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/external-users/{external_user_id}/inbox/{fax_id}",
      operationId: "markInboxFax",
      tags: ["Partners"],
      summary: "Mark a fax in a user's inbox read or unread",
      description: "Sets the fax's read state in the user's inbox (`read_at`, the `unread` filter). A fax that is not in this user's inbox is 404.",
      security: bearerSecurity,
      request: { params: InboxFaxParams, body: { required: true, content: { "application/json": { schema: InboxFaxPatchSchema } } } },
      responses: {
        200: { description: "The fax as the inbox lists it.", content: { "application/json": { schema: InboxFaxSchema } } },
        ...problemResponses("external_user.not_found", "fax.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const tenant = c.get("caller");
      const { external_user_id, fax_id } = c.req.valid("param");
      const { read } = c.req.valid("json");
      const db = database(c.env.DB);
      await userOr404(db, tenant, external_user_id);
      const marked = await setInboxRead(db, tenant, external_user_id, fax_id, read ? new Date().toISOString() : null);
      const fax = marked ? await findFax<Fax>(db, tenant, fax_id, fieldCipher(c.env)) : null;
      if (!marked || !fax) throw new ApiError("fax.not_found", { detail: `No fax ${fax_id} in the inbox of ${external_user_id}.` });
      audit(c, read ? "external_user.mark_read" : "external_user.mark_unread", { type: "fax", id: fax_id });
      auditExtractionReads(c, faxesShowingExtraction([fax]));
      return c.json({ ...inboundView(fax), read_at: marked.readAt }, 200);
    },
  );
}
