/**
 * /v1/audit-events (issue 17 point 3): the account's audit log, filtered and paged; the whole chain (or a
 * time range of it) as streamed JSONL for `npm run audit:verify`; and the latest signed checkpoint.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { AUDIT_ACTIONS, type AuditAction } from "../audit/catalog";
import type { Checkpoint } from "../audit/checkpoint";
import { auditExportHeaders, auditExportStream } from "../audit/export";
import { listAuditEntries } from "../audit/store";
import { database } from "../db/client";
import { auditCheckpoints } from "../db/schema";
import { ApiError } from "../errors/api-error";
import { documentStore } from "../storage/documents";
import type { App } from "./context";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { decodeCursor, ListQuerySchema, listSchema, pageResponse } from "./pagination";

const ACTIONS = Object.keys(AUDIT_ACTIONS) as [AuditAction, ...AuditAction[]];
const Time = z.iso.datetime({ offset: true });

const AuditEventSchema = z
  .object({
    id: z.string().openapi({ example: "aud_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
    seq: z.number().int().openapi({ description: "Position in the account's chain, from 1, without gaps." }),
    occurred_at: z.string(),
    actor: z.object({ type: z.enum(["api_key", "signed_url", "system", "user"]).openapi({ description: "user: a portal member (id mem_…)." }), id: z.string().nullable() }),
    action: z.enum(ACTIONS),
    target: z.object({ type: z.string(), id: z.string().nullable() }),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    prev_hash: z.string().openapi({ description: "hash of the entry before (64 zeros for seq 1)." }),
    hash: z.string().openapi({ description: "SHA-256 (hex) of this entry's canonical JSON without hash." }),
  })
  .openapi("AuditEvent");

const eventExample = {
  id: "aud_01jd8x6r3q5v7w9y0a2b4c6d8e",
  seq: 42,
  occurred_at: "2026-11-23T15:00:00.000Z",
  actor: { type: "api_key" as const, id: "key_01jd8x6r3q5v7w9y0a2b4c6d8e" },
  action: "fax.send" as const,
  target: { type: "fax", id: "fax_01jd8x6r3q5v7w9y0a2b4c6d8e" },
  request_id: "req_01jdq3v4k8m2n5p7r9s1t3v5w7",
  ip: "203.0.113.7",
  user_agent: "curl/8.5.0",
  prev_hash: "9f2c…",
  hash: "51ab…",
};

const CheckpointSchema = z
  .object({
    account_id: z.string(),
    seq: z.number().int(),
    hash: z.string(),
    signed_at: z.string(),
    key_id: z.string(),
    public_key: z.string().openapi({ description: "base64 of the raw Ed25519 public key." }),
    signature: z.string().openapi({ description: "base64 Ed25519 signature over the canonical JSON of account_id, seq, hash, signed_at, key_id." }),
  })
  .openapi("AuditCheckpoint");

export function registerAuditEventRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit-events",
      operationId: "listAuditEvents",
      tags: ["Audit"],
      summary: "List audit events",
      description: "The account's audit log, newest first. Filters combine: `action`, `actor` (a key id), `target` (a resource id), and `from`/`to` (occurred_at, RFC 3339; from inclusive, to exclusive).",
      security: bearerSecurity,
      request: {
        query: ListQuerySchema.extend({
          action: z.enum(ACTIONS).optional(),
          actor: z.string().max(64).optional().openapi({ description: "The actor's id, e.g. key_…" }),
          target: z.string().max(64).optional().openapi({ description: "The target's id, e.g. fax_…" }),
          from: Time.optional(),
          to: Time.optional(),
        }),
      },
      responses: {
        200: { description: "A page of audit events.", content: { "application/json": { schema: listSchema(AuditEventSchema, "AuditEventList"), example: { data: [eventExample], has_more: false, next_cursor: null } } } },
        ...problemResponses("request.invalid", "request.cursor_invalid", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listAuditEntries(
        database(c.env.DB),
        c.get("caller").accountId,
        { action: q.action, actorId: q.actor, targetId: q.target, from: q.from && new Date(q.from).toISOString(), to: q.to && new Date(q.to).toISOString() },
        q.limit,
        q.cursor ? decodeCursor(q.cursor) : undefined,
      );
      return c.json(pageResponse(page), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit-events/export",
      operationId: "exportAuditEvents",
      tags: ["Audit"],
      summary: "Export the audit log as JSONL",
      description:
        "The chain in seq order, one entry per line exactly as hashed, streamed. `from`/`to` pick the stretch of the chain from the first entry at or after `from` to the last before `to`, without holes, so `npm run -s audit:verify FILE.jsonl` can check it.",
      security: bearerSecurity,
      request: { query: z.object({ from: Time.optional(), to: Time.optional() }) },
      responses: {
        200: { description: "JSON Lines (one AuditEvent per line).", content: { "application/jsonl": { schema: z.string(), example: `${JSON.stringify(eventExample)}\n` } } },
        ...problemResponses("request.invalid", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const { from, to } = c.req.valid("query");
      const accountId = c.get("caller").accountId;
      const db = database(c.env.DB);
      const body = await auditExportStream(db, accountId, from && new Date(from).toISOString(), to && new Date(to).toISOString());
      return new Response(body, { headers: auditExportHeaders(accountId) }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit-events/checkpoint",
      operationId: "getAuditCheckpoint",
      tags: ["Audit"],
      summary: "The latest signed checkpoint",
      description: "The newest daily Ed25519-signed statement of the chain's head (seq and hash). Give it to `audit:verify --checkpoint` to detect a cut tail.",
      security: bearerSecurity,
      responses: {
        200: { description: "The checkpoint.", content: { "application/json": { schema: CheckpointSchema } } },
        ...problemResponses("audit.no_checkpoint", "auth.scope_insufficient", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const accountId = c.get("caller").accountId;
      const row = await database(c.env.DB).select().from(auditCheckpoints).where(eq(auditCheckpoints.accountId, accountId)).get();
      const object = row ? await documentStore(c.env).get(row.objectKey) : null;
      if (!object) throw new ApiError("audit.no_checkpoint");
      return c.json(JSON.parse(new TextDecoder().decode(await object.bytes())) as Checkpoint, 200);
    },
  );
}
