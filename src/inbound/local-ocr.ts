/**
 * The Worker's side of the local OCR service (src/contract/ocr.ts): one signed POST per page, like the gateway
 * channel (src/fax/gateway-client.ts). A self-hoster who keeps PHI away from any AI runs this service at the origin.
 */
import "../codec/worker";
import { writePbm } from "../codec";
import { OcrPageResponseSchema, type OcrPageRequest } from "../contract/ocr";
import { toBase64 } from "../lib/crypto";
import { newId } from "../lib/ids";
import { signedHeaders } from "../lib/signature";
import { ProviderUnavailableError, TransientPageError, type PageReader } from "./page-reader";
import type { InboundSettings } from "../config";

export function localOcrReader(env: Env, s: InboundSettings): PageReader {
  return {
    engine: "local",
    async readPage(faxId, page, signal) {
      if (!s.ocrUrl) throw new ProviderUnavailableError("OCR_PROVIDER is local but OCR_URL is empty: no OCR service is configured.");
      if (!env.OCR_SECRET) throw new ProviderUnavailableError("OCR_SECRET is not set: the OCR service would refuse unsigned pages.");
      const request: OcrPageRequest = {
        fax_id: faxId,
        page: page.number,
        x_resolution: page.xResolution,
        y_resolution: page.yResolution,
        pbm: toBase64(writePbm([page.bitmap])),
      };
      const body = JSON.stringify(request);
      let response: Response;
      try {
        response = await fetch(`${s.ocrUrl}/pages`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(await signedHeaders([env.OCR_SECRET], newId("msg"), body)) },
          body,
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new TransientPageError(`the OCR service could not be reached: ${error instanceof Error ? error.message : String(error)}`);
      }
      // 5xx and 429: the service (or a proxy before it) is down or busy; a 4xx is a request it will always refuse.
      if (response.status >= 500 || response.status === 429) throw new TransientPageError(`the OCR service answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      if (!response.ok) throw new Error(`the OCR service answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      const parsed = OcrPageResponseSchema.safeParse(await response.json());
      if (!parsed.success) throw new Error("the OCR service's answer breaks its contract");
      return { text: parsed.data.text, confidence: parsed.data.confidence, engine: parsed.data.engine };
    },
  };
}
