/**
 * Received faxes that read themselves (issue 14): a fax's text page by page, re-running extraction after a
 * schema change, and a number's own extraction schema (used instead of the account's).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { listPageTexts } from "../db/fax-text-store";
import { findFax } from "../db/fax-store";
import { findNumber, setNumberExtractionSchema } from "../db/number-store";
import type { Tenant } from "../db/tenant";
import { ApiError } from "../errors/api-error";
import { faxObject } from "../fax/fax-stub";
import { FaxExtractionSchema, FaxOcrSchema, type Fax } from "../fax/schema";
import { checkExtractionSchema, parseStoredSchema, schemaVersion, SCHEMA_LIMITS, type ExtractionSchema } from "../inbound/extraction-schema";
import { closedObject } from "../lib/closed-object";
import type { App } from "./context";
import { audit, auditExtractionReads } from "./audit";
import { faxesShowingExtraction } from "../audit/extraction-reads";
import { AUTH_ERRORS, bearerSecurity, problemResponses } from "./openapi-common";
import { fieldCipher } from "../storage/fields";

const FaxIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "fax_01jd8x6r3q5v7w9y0a2b4c6d8f" }) });
const NumberIdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, example: "num_01jd8x6r3q5v7w9y0a2b4c6d8f" }) });

const PageTextSchema = z
  .object({
    page: z.number().int(),
    status: z.enum(["done", "failed", "retrying"]).openapi({ description: "`retrying`: the OCR service could not take the page yet; it is read again (OCR_PAGE_ATTEMPTS times at most), then `done` or `failed`." }),
    text: z.string(),
    confidence: z.number().nullable().openapi({ description: "0-100; null when the engine gives none or the page failed." }),
    flagged: z.boolean().openapi({ description: "Read below OCR_MIN_CONFIDENCE: check the page before trusting its text." }),
    error: z.string().nullable(),
    attempts: z.number().int().openapi({ description: "Readings of the page so far." }),
  })
  .openapi("PageText");

const FaxTextSchema = z.object({ fax_id: z.string(), ocr: FaxOcrSchema.nullable(), pages: z.array(PageTextSchema) }).openapi("FaxText");

export const EXTRACTION_SCHEMA_DESCRIPTION = `A JSON Schema subset: an object whose properties have type string, number, integer, boolean, array (with items) or object (with properties), nested up to ${SCHEMA_LIMITS.depth} levels, with description, title, enum (strings) and format "date"; at most ${SCHEMA_LIMITS.fields} fields and ${SCHEMA_LIMITS.bytes} bytes. Other keywords are refused with a pointer to them.`;
export const EXTRACTION_SCHEMA_EXAMPLE = {
  type: "object",
  properties: {
    patient_name: { type: "string", description: "The patient's full name" },
    date_of_birth: { type: "string", format: "date" },
    claim_number: { type: "string" },
    total: { type: "number", description: "Invoice total" },
  },
};

const NumberSchemaBody = closedObject({
  extraction_schema: z.record(z.string(), z.unknown()).nullable().openapi({ description: `${EXTRACTION_SCHEMA_DESCRIPTION} null removes the number's own schema.`, example: EXTRACTION_SCHEMA_EXAMPLE }),
}).openapi("NumberExtractionSchemaRequest");

const NumberSchemaResponse = z
  .object({
    number_id: z.string(),
    extraction_schema: z.record(z.string(), z.unknown()).nullable(),
    schema_version: z.string().nullable().openapi({ description: "Appears as extraction.schema_version on faxes extracted with this schema." }),
  })
  .openapi("NumberExtractionSchema");

/** Checks a schema from a request body; 422 extraction_schema.invalid with a pointer per problem. */
export function requireExtractionSchema(value: unknown, pointer: string): ExtractionSchema {
  const problems = checkExtractionSchema(value);
  if (problems.length > 0) {
    const errors = problems.map((p) => ({ pointer: `${pointer}${p.pointer}`, detail: p.detail }));
    throw new ApiError("extraction_schema.invalid", { detail: errors.map((e) => `${e.pointer}: ${e.detail}`).join("; "), errors });
  }
  return value as ExtractionSchema;
}

async function receivedFax(c: { env: Env }, tenant: Tenant, id: string): Promise<Fax> {
  const fax = await findFax<Fax>(database(c.env.DB), tenant, id, fieldCipher(c.env));
  if (!fax) throw new ApiError("fax.not_found");
  if (fax.direction !== "inbound" || fax.status !== "received") throw new ApiError("fax.not_received");
  return fax;
}

export function registerInboundRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/faxes/{id}/text",
      operationId: "getFaxText",
      tags: ["Faxes"],
      summary: "Get a received fax's text",
      description: "The OCR text of every page with its confidence. Pages appear as they are read; `ocr.status` says whether reading is still pending.",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        200: {
          description: "The text, page by page.",
          content: {
            "application/json": {
              schema: FaxTextSchema,
              example: {
                fax_id: "fax_01jd8x6r3q5v7w9y0a2b4c6d8f",
                ocr: { status: "done", confidence: 91.5, engine: "tesseract.js 7.0.0 eng 4.0.0_best_int", pages_failed: [], pages_flagged: [], detail: null, completed_at: "2026-11-23T15:00:43.000Z" },
                pages: [{ page: 1, status: "done", text: "Patient Name: Jane Doe\nDOB: 03/07/1980", confidence: 91.5, flagged: false, error: null, attempts: 1 }],
              },
            },
          },
        },
        ...problemResponses("fax.not_found", "fax.not_received", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const fax = await receivedFax(c, caller, c.req.valid("param").id);
      const rows = await listPageTexts(database(c.env.DB), caller.accountId, fax.id);
      audit(c, "fax.read_text", { type: "fax", id: fax.id });
      return c.json(
        {
          fax_id: fax.id,
          ocr: fax.ocr ?? null,
          pages: rows.map((r) => ({ page: r.page, status: r.status, text: r.text, confidence: r.confidence, flagged: r.flagged, error: r.error, attempts: r.attempts })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/faxes/{id}/extract",
      operationId: "extractFax",
      tags: ["Faxes"],
      summary: "Extract a received fax again",
      description:
        "Runs extraction again with the schema that applies now (the number's, else the account's), e.g. after a schema change. Answers 202 with `extraction.status` pending; `fax.extracted` follows.",
      security: bearerSecurity,
      request: { params: FaxIdParams },
      responses: {
        202: { description: "Extraction is queued.", content: { "application/json": { schema: z.object({ fax_id: z.string(), extraction: FaxExtractionSchema }).openapi("ExtractionQueued") } } },
        ...problemResponses("fax.not_found", "fax.not_received", "fax.not_read", ...AUTH_ERRORS),
      },
    }),
    async (c) => {
      const fax = await receivedFax(c, c.get("caller"), c.req.valid("param").id);
      const result = await faxObject(c.env, fax.id).requestExtraction();
      if (!result.ok) throw new ApiError(result.reason === "not_read" ? "fax.not_read" : "fax.not_received");
      auditExtractionReads(c, faxesShowingExtraction([result.fax]));
      return c.json({ fax_id: fax.id, extraction: result.fax.extraction! }, 202);
    },
  );

  const numberSchemaResponses = {
    200: { description: "The number's extraction schema.", content: { "application/json": { schema: NumberSchemaResponse } } },
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/numbers/{id}/extraction-schema",
      operationId: "getNumberExtractionSchema",
      tags: ["Numbers"],
      summary: "Get a number's extraction schema",
      description: "The schema faxes to this number are extracted with; null when the number uses the account's.",
      security: bearerSecurity,
      request: { params: NumberIdParams },
      responses: { ...numberSchemaResponses, ...problemResponses("number.not_found", ...AUTH_ERRORS) },
    }),
    async (c) => {
      const row = await findNumber(database(c.env.DB), c.get("caller"), c.req.valid("param").id);
      if (!row) throw new ApiError("number.not_found");
      const schema = parseStoredSchema(row.extractionSchema);
      return c.json({ number_id: row.id, extraction_schema: schema, schema_version: schema ? await schemaVersion(schema) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/numbers/{id}/extraction-schema",
      operationId: "setNumberExtractionSchema",
      tags: ["Numbers"],
      summary: "Set a number's extraction schema",
      description: `Faxes received on this number are extracted into this schema instead of the account's. ${EXTRACTION_SCHEMA_DESCRIPTION}`,
      security: bearerSecurity,
      request: { params: NumberIdParams, body: { required: true, content: { "application/json": { schema: NumberSchemaBody } } } },
      responses: { ...numberSchemaResponses, ...problemResponses("number.not_found", "extraction_schema.invalid", ...AUTH_ERRORS, "request.invalid") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const schema = body.extraction_schema === null ? null : requireExtractionSchema(body.extraction_schema, "/extraction_schema");
      const row = await setNumberExtractionSchema(database(c.env.DB), c.get("caller"), c.req.valid("param").id, schema ? JSON.stringify(schema) : null);
      if (!row) throw new ApiError("number.not_found");
      return c.json({ number_id: row.id, extraction_schema: schema, schema_version: schema ? await schemaVersion(schema) : null }, 200);
    },
  );
}
