/**
 * The OCR provider chosen by OCR_PROVIDER (issue 14 point 2): `workers-ai` (a vision model through the AI
 * binding, production) or `local` (the offline engine that `npm start` runs beside the gateway, reached signed
 * over HTTP). The pipeline holds a PageReader and neither knows nor cares which.
 */
import { localOcrReader } from "./local-ocr";
import type { PageReader } from "./page-reader";
import { inboundSettings, type InboundSettings } from "../config";
import { workersAiReader } from "./workers-ai";

export function pageReader(env: Env, s: InboundSettings = inboundSettings(env)): PageReader {
  return s.provider === "workers-ai" ? workersAiReader(env, s) : localOcrReader(env, s);
}
