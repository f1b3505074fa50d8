/**
 * Why a document could not become fax pages. The codes are fax failure codes (src/errors/fax-failures.ts):
 * the render job hands them to FaxObject.renderFailed, so a bad document ends the fax as `failed` with a
 * reason the sender can act on, instead of a queue retry loop.
 */
import type { FaxFailureCode } from "../../errors/fax-failures";

export type RenderFailureCode = Extract<FaxFailureCode, "document.unreadable" | "document.too_many_pages">;

export class RenderError extends Error {
  override readonly name = "RenderError";
  constructor(
    readonly code: RenderFailureCode,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${detail}`, options);
  }
}

/** Anything a render throws, as the failure the fax records. Unexpected errors are the document's fault too: it is the only input. */
export function renderFailure(error: unknown): { code: RenderFailureCode; detail: string } {
  if (error instanceof RenderError) return { code: error.code, detail: error.detail };
  return { code: "document.unreadable", detail: "The document could not be rendered into fax pages: it appears to be damaged." };
}
