/** Document errors carry the pointer of the document at fault, so a client knows which one to fix. */
import { ApiError } from "../../errors/api-error";
import type { RequestErrorCode } from "../../errors/catalog";

export function documentError(code: RequestErrorCode, pointer: string, detail: string): ApiError {
  return new ApiError(code, { detail, errors: [{ pointer, detail }] });
}

/** Names a document in a sentence: its filename when the client gave one, else where it sat in the request. */
export function documentLabel(pointer: string, filename?: string): string {
  return filename ? `Document ${pointer} (${filename})` : `Document ${pointer}`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, "")} KiB`;
  return `${n} bytes`;
}
