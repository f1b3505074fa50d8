/**
 * multipart/form-data (RFC 7578) written by hand rather than by FormData, so the boundary can be chosen: the
 * same request with the same Idempotency-Key must be the same bytes (the API fingerprints the body).
 * Names and filenames are escaped as the WHATWG HTML form encoding does (`"` → %22, CR → %0D, LF → %0A).
 */
import type { NamedBlob } from "./files.js";

export type MultipartPart = { name: string; value: string } | ({ name: string } & NamedBlob);

const escape = (text: string) => text.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

/** A boundary derived from the Idempotency-Key (SHA-256, hex): stable across retries, unlikely in any content. */
export async function boundaryFor(idempotencyKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(idempotencyKey)));
  return `edgefax-${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function encodeMultipart(parts: MultipartPart[], boundary: string): Promise<{ bytes: Uint8Array<ArrayBuffer>; contentType: string }> {
  const chunks: (string | Blob)[] = [];
  for (const part of parts) {
    if ("value" in part) {
      chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(part.name)}"\r\n\r\n${part.value}\r\n`);
    } else {
      const type = part.blob.type || "application/octet-stream";
      chunks.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escape(part.name)}"; filename="${escape(part.filename)}"\r\nContent-Type: ${type}\r\n\r\n`, part.blob, "\r\n");
    }
  }
  chunks.push(`--${boundary}--\r\n`);
  const bytes = new Uint8Array(await new Blob(chunks).arrayBuffer());
  return { bytes, contentType: `multipart/form-data; boundary=${boundary}` };
}
