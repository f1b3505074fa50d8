/**
 * The fax as the API shows it: the one zod schema from which the response type, the stored
 * projection in D1 and the OpenAPI component are derived.
 */
import { z } from "@hono/zod-openapi";
import { closedObject } from "../lib/closed-object";
import { FAX_STATUSES } from "./state-machine";

export const FaxErrorSchema = z
  .object({
    code: z.string().openapi({ example: "fax.busy" }),
    retryable: z.boolean(),
    detail: z.string(),
    t30_result: z.string().nullable().openapi({ example: "SIP 486 Busy Here" }),
  })
  .openapi("FaxError", { description: "Why an attempt failed. Codes are listed at /errors." });

export const FaxOptionsSchema = closedObject({
  resolution: z.enum(["standard", "fine"]).default("fine").openapi({
    description: "standard is 204×98 dpi, fine 204×196 dpi.",
  }),
  max_attempts: z.number().int().min(1).max(10).default(3),
  retry_delay: z
    .number()
    .int()
    .min(30)
    .max(86_400)
    .default(300)
    .openapi({ description: "Seconds between attempts (compressed by TIME_COMPRESSION in test mode)." }),
  image_conversion: z.enum(["auto", "monochrome", "halftone"]).default("auto").openapi({
    description:
      "How grey becomes black and white: monochrome keeps text and lines sharp, halftone dithers photographs, auto decides for each area of each page.",
  }),
}).openapi("FaxOptions");

export const CoverPageSchema = closedObject({
  to_name: z.string().max(200).optional(),
  from_name: z.string().max(200).optional(),
  subject: z.string().max(200).optional(),
  message: z.string().max(5_000).optional(),
}).openapi("CoverPage");

/** The limits of metadata, named in its errors and its OpenAPI description. */
export const METADATA_LIMITS = { keys: 20, keyLength: 40, valueLength: 500 } as const;

/** One metadata key and one value: also what a `metadata[key]=value` list filter is checked against. */
export const MetadataKeySchema = z
  .string()
  .min(1, { error: "metadata keys are not empty" })
  .max(METADATA_LIMITS.keyLength, { error: `metadata keys have at most ${METADATA_LIMITS.keyLength} characters` });
export const MetadataValueSchema = z.string({ error: "metadata values are strings" }).max(METADATA_LIMITS.valueLength, { error: `metadata values have at most ${METADATA_LIMITS.valueLength} characters` });

export const MetadataSchema = z
  .record(MetadataKeySchema, MetadataValueSchema)
  .refine((m) => Object.keys(m).length <= METADATA_LIMITS.keys, { message: `at most ${METADATA_LIMITS.keys} metadata keys` })
  .openapi({
    description: `Up to ${METADATA_LIMITS.keys} string pairs of your own, returned as given: keys of 1 to ${METADATA_LIMITS.keyLength} characters, values of at most ${METADATA_LIMITS.valueLength}.`,
    example: { order_id: "A-1001" },
  });

/** Inbound (issue 14): how the reading of a received fax went. */
export const FaxOcrSchema = z
  .object({
    status: z.enum(["pending", "done", "failed"]).openapi({ description: "done: every readable page was read (see pages_failed); failed: no page could be read." }),
    confidence: z.number().nullable().openapi({ description: "Mean page confidence, 0-100." }),
    engine: z.string().nullable().openapi({ example: "tesseract.js 7.0.0 eng 4.0.0_best_int" }),
    pages_failed: z.array(z.number().int()).openapi({ description: "Pages that could not be read (damaged, or the engine failed or timed out)." }),
    pages_flagged: z.array(z.number().int()).openapi({ description: "Pages read with a confidence below OCR_MIN_CONFIDENCE: check them before trusting their text." }),
    detail: z.string().nullable(),
    completed_at: z.string().nullable(),
  })
  .openapi("FaxOcr");

/**
 * An extracted value, as deep as a schema nests (5 levels). Written out level by level because the FaxObject's
 * RPC stub types cannot follow a recursive JSON type ("type instantiation is excessively deep").
 */
type Scalar = string | number | boolean | null;
type Level1 = Scalar | Scalar[] | { [field: string]: Scalar | Scalar[] };
type Level2 = Scalar | Level1[] | { [field: string]: Level1 | Level1[] };
type Level3 = Scalar | Level2[] | { [field: string]: Level2 | Level2[] };
type Level4 = Scalar | Level3[] | { [field: string]: Level3 | Level3[] };
export type ExtractedFields = { [field: string]: Level4 | Level4[] };
const ExtractedFieldsSchema = z.record(z.string(), z.any()).openapi({ description: "Field name → extracted value (string, number, boolean, array, object or null)." }) as unknown as z.ZodType<ExtractedFields>;

/** Inbound (issue 14): the extraction of the account's (or the number's) schema from the text. */
export const FaxExtractionSchema = z
  .object({
    status: z.enum(["pending", "done", "failed", "skipped"]).openapi({ description: "skipped: neither the number nor the account has an extraction_schema." }),
    data: ExtractedFieldsSchema.nullable().openapi({ description: "Every field of the schema; fields the fax does not give are null." }),
    schema_version: z.string().nullable().openapi({ example: "sch_3f9a1c0b7d2e" }),
    detail: z.string().nullable(),
    completed_at: z.string().nullable(),
  })
  .openapi("FaxExtraction");

export const FaxSchema = z
  .object({
    id: z.string().openapi({ example: "fax_01jd8x6r3q0000000000000000" }),
    direction: z.enum(["outbound", "inbound"]),
    mode: z.enum(["test", "live"]).openapi({ description: "test faxes never reach a telephone line." }),
    status: z.enum(FAX_STATUSES),
    to: z.string().openapi({ example: "+15550100001" }),
    from: z.string().openapi({ example: "+15550100100" }),
    page_count: z.number().int(),
    pages_sent: z.number().int(),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_error: FaxErrorSchema.nullable(),
    error: FaxErrorSchema.nullable().openapi({ description: "Set when status is failed." }),
    options: FaxOptionsSchema,
    header_text: z.string().nullable(),
    cover_page: CoverPageSchema.nullable(),
    metadata: z.record(z.string(), z.string()),
    webhook_url: z.string().nullable(),
    send_at: z.string().nullable(),
    estimated_delivery: z.string().nullable(),
    resent_from: z.string().nullable(),
    remote_ident: z.string().nullable().openapi({ description: "The far end's CSI (outbound) or TSI (inbound)." }),
    image_downloaded: z
      .boolean()
      .nullable()
      .openapi({ description: "Inbound faxes: whether the image was downloaded (GET /v1/faxes/{id}/image). Null for outbound faxes." }),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    ocr: FaxOcrSchema.nullable().optional().openapi({ description: "Received faxes: the reading of their pages. Absent on outbound faxes." }),
    extraction: FaxExtractionSchema.nullable().optional().openapi({ description: "Received faxes: fields extracted into your schema. Absent on outbound faxes." }),
    external_user_id: z.string().nullable().openapi({ description: "The partner's user whose number sent or received the fax (PUT /v1/external-users/{external_user_id}); null otherwise." }),
    purged_at: z.string().nullable().openapi({ description: "When the retention purge deleted the fax's files; its links then answer 410 document.purged." }),
    /** Inbound: the SIP Call-ID (faxes stored before it had this field kept it in metadata; see ./view.ts). */
    call_id: z.string().nullable().optional(),
  })
  .openapi("FaxRecord", { description: "The stored fax; the API shows it as OutboundFax or InboundFax (src/fax/view.ts)." });

export type Fax = z.infer<typeof FaxSchema>;
export type FaxError = z.infer<typeof FaxErrorSchema>;
export type FaxOcr = z.infer<typeof FaxOcrSchema>;
export type FaxExtraction = z.infer<typeof FaxExtractionSchema>;
export type FaxOptions = z.infer<typeof FaxOptionsSchema>;
export type CoverPage = z.infer<typeof CoverPageSchema>;
