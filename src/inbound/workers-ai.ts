/**
 * Workers AI, the production provider (issue 14 points 2 and 3; TOOLCHAIN.md "OCR and extraction").
 *
 * OCR: each page goes to the vision model as PNG data URLs (page-images.ts: square pixels, 1344 px across, bands
 * no taller than wide), one request per band, transcribed verbatim. A vision model reports no confidence, so the
 * prompt asks it to write [?] for every word it cannot read, and the page's confidence is the share of words it
 * could: an honest signal, and the same threshold flags pages as with the local engine.
 *
 * Extraction: the page text with `response_format: { type: "json_schema", json_schema: <the schema itself> }`
 * (not OpenAI's {name, schema} wrapper). JSON mode can fail ("JSON Mode couldn't be met") or answer off-schema,
 * so the answer is parsed, conformed to the schema (missing fields null, dates ISO 8601) and the request is
 * retried once before extraction counts as failed.
 */
import type { ExtractionSchema } from "./extraction-schema";
import { conformToSchema, type ExtractedData } from "./extracted-values";
import { visionImages } from "./page-images";
import { ProviderUnavailableError, type PageReader } from "./page-reader";
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

export function workersAiReader(env: Env, s: InboundSettings): PageReader {
  return {
    engine: s.aiModel,
    async readPage(_faxId, page, signal) {
      const binding = ai(env);
      const images = visionImages(page);
      const parts: string[] = [];
      for (const [i, url] of images.entries()) {
        signal.throwIfAborted();
        const answer = await binding.run(s.aiModel, {
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
