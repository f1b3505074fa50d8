/**
 * Workers AI, the production provider (issue 14 points 2 and 3; TOOLCHAIN.md "OCR and extraction").
 *
 * OCR: each page goes to the vision model as PNG data URLs (page-images.ts: square pixels, 1344 px across, bands
 * no taller than wide), one request per band, transcribed verbatim. A vision model reports no confidence, so the
 * prompt asks it to write [?] for every word it cannot read, and the page's confidence is the share of words it
 * could: an honest signal, and the same threshold flags pages as with the local engine. A request the binding
 * cannot take now (out of capacity, timeout, 5xx, network) makes the page `retrying`, read again by a later
 * queue job like a page the local OCR service could not take (pipeline.ts, OCR_PAGE_ATTEMPTS).
 *
 * Extraction: the page text with `response_format: { type: "json_schema", json_schema: <the schema itself> }`
 * (not OpenAI's {name, schema} wrapper). JSON mode can fail ("JSON Mode couldn't be met") or answer off-schema,
 * so the answer is parsed, conformed to the schema (missing fields null, dates ISO 8601) and the request is
 * retried once before extraction counts as failed.
 */
import type { ExtractionSchema } from "./extraction-schema";
import { conformToSchema, type ExtractedData } from "./extracted-values";
import { visionImages } from "./page-images";
import { ProviderUnavailableError, TransientPageError, type PageReader } from "./page-reader";
import type { InboundSettings } from "../config";

/** What we use of the AI binding; the real binding's model-keyed types do not take a model name from a setting. */
export interface WorkersAi {
  run(model: string, inputs: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

function ai(env: Env): WorkersAi {
  if (!env.AI) throw new ProviderUnavailableError("OCR_PROVIDER is workers-ai but the AI binding is missing: add [ai] binding = \"AI\" to wrangler.toml.");
  return env.AI as unknown as WorkersAi;
}

export const OCR_SYSTEM_PROMPT =
  "You transcribe faxed pages. Write out every piece of text exactly as printed, line by line, top to bottom, left to right, keeping labels with their values on one line (\"Label: value\"). Do not summarise, translate, correct or describe. Write [?] for each word you cannot read. If the image has no text, answer with nothing.";

/** The text of a model's answer: `response` is a string, or already parsed JSON in JSON mode. */
function responseOf(answer: unknown): unknown {
  return typeof answer === "object" && answer !== null && "response" in answer ? (answer as { response: unknown }).response : undefined;
}

const ILLEGIBLE = /\[\?\]/g;

/**
 * Workers AI errors worth a later attempt (developers.cloudflare.com/workers-ai/platform/errors): 3040 out of
 * capacity ("Capacity temporarily exceeded, please try again"), 3007 timeout, a 5xx from the inference upstream,
 * and the network between the Worker and the binding. Everything else (no such model, request too large, the
 * daily allocation used up, JSON mode) would fail the same way again.
 */
export function isTransientAiError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  const code = /^(?:\w*Error:\s*)*(\d{4}):/.exec(message)?.[1];
  if (code) return code === "3040" || code === "3007";
  return (
    (error instanceof Error && error.name === "TypeError") ||
    /network connection lost|internal (?:server )?error|service unavailable|bad gateway|gateway timeout|\b5\d\d\b|capacity temporarily exceeded|timed out/i.test(message)
  );
}

export function workersAiReader(env: Env, s: InboundSettings): PageReader {
  return {
    engine: s.aiModel,
    async readPage(_faxId, page, signal) {
      const binding = ai(env);
      const images = visionImages(page);
      const parts: string[] = [];
      for (const [i, url] of images.entries()) {
        signal.throwIfAborted();
        const answer = await runPageRequest(binding, signal, s.aiModel, {
          messages: [
            { role: "system", content: OCR_SYSTEM_PROMPT },
            {
              role: "user",
              content: [
                { type: "text", text: images.length > 1 ? `Part ${i + 1} of ${images.length} of a fax page, top to bottom. Transcribe it.` : "A fax page. Transcribe it." },
                { type: "image_url", image_url: { url } },
              ],
            },
          ],
          max_tokens: 2048,
          temperature: 0,
        });
        const text = responseOf(answer);
        if (typeof text !== "string") throw new Error("Workers AI answered without text");
        parts.push(text.trim());
      }
      const text = parts.filter(Boolean).join("\n");
      const words = text.split(/\s+/).filter(Boolean).length;
      const illegible = text.match(ILLEGIBLE)?.length ?? 0;
      const confidence = words === 0 ? 0 : Math.round((100 * (words - illegible)) / words);
      return { text, confidence, engine: s.aiModel };
    },
  };
}

/** One OCR request; a transient failure becomes a TransientPageError, so the pipeline reads the page again later (OCR_PAGE_ATTEMPTS). */
async function runPageRequest(binding: WorkersAi, signal: AbortSignal, model: string, inputs: Record<string, unknown>): Promise<unknown> {
  try {
    return await binding.run(model, inputs);
  } catch (error) {
    if (signal.aborted || !isTransientAiError(error)) throw error;
    throw new TransientPageError(`Workers AI could not take the page: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const EXTRACTION_SYSTEM_PROMPT =
  "You extract fields from the text of a received fax into JSON that follows the given JSON schema. Take values only from the text; use null for a field the text does not give. Write dates as YYYY-MM-DD and numbers without currency signs or thousands separators.";

export type AiExtraction = { ok: true; data: ExtractedData; attempts: number } | { ok: false; detail: string; attempts: number };

function parseAnswer(answer: unknown): Record<string, unknown> | null {
  let value = responseOf(answer);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value.trim().replace(/^```(?:json)?\s*|\s*```$/g, ""));
    } catch {
      return null;
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/** The fields of the schema from the fax's text; one retry after a failed or off-schema answer. */
export async function extractWithWorkersAi(env: Env, s: InboundSettings, schema: ExtractionSchema, text: string): Promise<AiExtraction> {
  const binding = ai(env);
  const inputs = {
    messages: [
      { role: "system", content: EXTRACTION_SYSTEM_PROMPT },
      { role: "user", content: `The fax's text:\n\n${text}` },
    ],
    response_format: { type: "json_schema", json_schema: schema },
    max_tokens: 2048,
    temperature: 0,
  };
  let detail = "";
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const parsed = parseAnswer(await binding.run(s.aiModel, inputs));
      if (parsed) return { ok: true, data: conformToSchema(schema, parsed), attempts: attempt };
      detail = "Workers AI answered with something other than a JSON object";
    } catch (error) {
      detail = `Workers AI failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return { ok: false, detail, attempts: 2 };
}
