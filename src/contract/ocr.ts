/**
 * The local OCR service's contract (issue 14 point 2), for both sides: the Worker (src/inbound/local-ocr.ts) posts
 * one received page to POST {OCR_URL}/pages, signed like a webhook (Standard Webhooks v1, src/lib/signature.ts)
 * with OCR_SECRET; the service (src/inbound/local-engine/) answers with the page's text and confidence.
 * The page travels as binary PBM (P4, 1 = black) in base64, with its resolution, so the engine can double the
 * rows of a 204×98 page itself.
 */
import { z } from "zod";

export const OcrPageRequestSchema = z.object({
  fax_id: z.string().min(1).max(100),
  page: z.number().int().min(1).max(10_000),
  x_resolution: z.number().positive().max(1200),
  y_resolution: z.number().positive().max(1200),
  /** base64 of a one-image PBM (P4). */
  pbm: z.string().min(1).max(8_000_000),
});
export type OcrPageRequest = z.infer<typeof OcrPageRequestSchema>;

export const OcrPageResponseSchema = z.object({
  text: z.string(),
  /** 0-100, the engine's mean word confidence. */
  confidence: z.number().min(0).max(100),
  engine: z.string().min(1).max(100),
  ms: z.number().min(0),
});
export type OcrPageResponse = z.infer<typeof OcrPageResponseSchema>;
