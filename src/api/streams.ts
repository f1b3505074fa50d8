/**
 * Event streams (issue 18 point 1): GET /v1/faxes/{id}/stream and GET /v1/events/stream as
 * Server-Sent Events (HTML Living Standard §9.2) of the same envelopes webhooks carry, served by the
 * account's EventStreamObject (src/webhooks/event-stream.ts). This route checks the caller and the
 * request, then hands the connection to the object.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { findFax } from "../db/fax-store";
import { ApiError } from "../errors/api-error";
import { EVENT_TYPES } from "../events/catalog";
import { FAX_STATUSES, isFinal } from "../fax/state-machine";
import type { Fax } from "../fax/schema";
import { isId } from "../lib/ids";
import type { Context } from "hono";
import { eventStreamObject, faxStreamEnded, STREAM_REQUEST_HEADER, type StreamReader, type StreamRequest } from "../webhooks/event-stream";
import { auditScope } from "./audit";
import type { App, AppEnv } from "./context";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { fieldCipher } from "../storage/fields";

const eventTypeNames = Object.keys(EVENT_TYPES);
const FINAL_STATUSES = FAX_STATUSES.filter(isFinal);

const LastEventIdHeader = z.object({
  "last-event-id": z
    .string()
    .optional()
    .openapi({ description: "Resume after this event id (an EventSource sends it when it reconnects): nothing before it again, nothing after it lost.", example: "evt_01jd8x6r3q5v7w9y0a2b4c6d8e" }),
});

const streamContent = {
  "text/event-stream": {
    schema: z.string().openapi({
      description:
        "Frames of `id: <event id>`, `event: <type>`, `data: <the webhook envelope { id, type, created_at, data } as one line of JSON>`, then a blank line. Lines starting with `:` are heartbeats (every 15 s).",
      example: 'id: evt_01jd8x6r3q5v7w9y0a2b4c6d8e\nevent: fax.page_sent\ndata: {"id":"evt_01jd8x6r3q5v7w9y0a2b4c6d8e","type":"fax.page_sent","created_at":"2026-11-23T15:00:09.000Z","data":{"sequence":3,"page":1,"fax":{"id":"fax_…","status":"sending"}}}\n\n',
    }),
  },
};

function lastEventId(header: string | undefined): string | null {
  if (header === undefined || header === "") return null;
  if (!isId(header, "evt")) throw new ApiError("request.invalid", { detail: "Last-Event-ID must be an event id (evt_…) from this stream." });
  return header;
}

/** The caller, as the stream's audit entries (fax.read_extraction) name it. */
function streamReader(c: Context<AppEnv>): StreamReader {
  const scope = auditScope(c, c.get("caller").accountId, { type: "api_key", id: c.get("caller").keyId });
  return { keyId: scope.actor.id, requestId: scope.requestId ?? null, ip: scope.ip ?? null, userAgent: scope.userAgent ?? null };
}

async function connect(env: Env, wanted: StreamRequest): Promise<Response> {
  const answer = await eventStreamObject(env, wanted.accountId, wanted.mode).fetch("https://event-stream/connect", {
    headers: { [STREAM_REQUEST_HEADER]: JSON.stringify(wanted) },
  });
  // A copy with mutable headers, so middleware (Request-Id, rate limits) can add theirs.
  return new Response(answer.body, answer);
}

export function registerStreamRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/stream",
      operationId: "streamFaxEvents",
      tags: ["Faxes"],
      summary: "Stream a fax's events",
      description:
        "Server-Sent Events: the fax's events so far, then each new one as it is published (the same envelopes webhooks carry, in `sequence` order). The stream closes after the fax's final event (for a received fax, once extraction is done, failed or skipped, so `fax.extracted` is on it); connecting again once the fax is final and everything was seen answers 204, which stops an EventSource.",
      security: bearerSecurity,
      request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "fax_01jd8x6r3q5v7w9y0a2b4c6d8e" }) }), headers: LastEventIdHeader },
      responses: {
        200: { description: "The event stream.", content: streamContent },
        204: { description: "The fax is final and the client has seen its last event." },
        ...problemResponses("fax.not_found", "request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const id = c.req.valid("param").id;
      const fax = await findFax<Fax>(database(c.env.DB), caller, id, fieldCipher(c.env));
      if (!fax) throw new ApiError("fax.not_found");
      const wanted: StreamRequest = {
        accountId: caller.accountId,
        mode: fax.mode,
        types: null,
        faxId: fax.id,
        faxFinal: faxStreamEnded(fax, FINAL_STATUSES),
        finalStatuses: FINAL_STATUSES,
        lastEventId: lastEventId(c.req.valid("header")["last-event-id"]),
        reader: streamReader(c),
      };
      return connect(c.env, wanted) as never;
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/events/stream",
      operationId: "streamEvents",
      tags: ["Webhooks"],
      summary: "Stream the account's events",
      description:
        "Server-Sent Events of every event of the account in the calling key's mode (test or live), as webhooks would carry them, from the moment of connecting; with Last-Event-ID, from just after that event. `types` limits it to some event types.",
      security: bearerSecurity,
      request: {
        query: z.object({
          types: z
            .string()
            .optional()
            .openapi({ description: `Comma-separated event types to receive (default: all): ${eventTypeNames.join(", ")}.`, example: "fax.delivered,fax.failed" }),
        }),
        headers: LastEventIdHeader,
      },
      responses: {
        200: { description: "The event stream.", content: streamContent },
        ...problemResponses("request.invalid", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const raw = c.req.valid("query").types;
      const types = raw === undefined || raw === "" ? null : raw.split(",").map((t) => t.trim());
      const unknown = types?.filter((t) => !eventTypeNames.includes(t)) ?? [];
      if (unknown.length > 0) {
        throw new ApiError("request.invalid", {
          detail: `Unknown event type ${unknown.map((t) => JSON.stringify(t.slice(0, 60))).join(", ")} in types; valid types: ${eventTypeNames.join(", ")}.`,
        });
      }
      const wanted: StreamRequest = {
        accountId: caller.accountId,
        mode: caller.mode,
        types,
        faxId: null,
        faxFinal: false,
        finalStatuses: [],
        lastEventId: lastEventId(c.req.valid("header")["last-event-id"]),
        reader: streamReader(c),
      };
      return connect(c.env, wanted) as never;
    },
  );
}
