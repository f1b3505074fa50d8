/** Where a fax's files live in R2 (docs/architecture.md "Parts": R2 holds documents, TIFF-F, inbound PDFs and previews). */
import type { DocumentStore } from "../../storage/documents";

export interface FaxFileKeys {
  /** The PDF: the merged document of an outbound fax, the received pages of an inbound one. */
  document: string;
  /** The TIFF-F that is (or was) on the line. */
  tiff: string;
  /** The PNG preview of page `n` (1-based). */
  preview(n: number): string;
}

export function faxFileKeys(accountId: string, faxId: string): FaxFileKeys {
  const base = `faxes/${accountId}/${faxId}`;
  return {
    document: `${base}/document.pdf`,
    tiff: `${base}/fax.tif`,
    preview: (n) => `${base}/pages/${n}.png`,
  };
}

/** The account and fax a file key belongs to (the inverse of faxFileKeys), or null for a key outside `faxes/`. */
export function parseFaxFileKey(key: string): { accountId: string; faxId: string } | null {
  const [root, accountId, faxId] = key.split("/");
  return root === "faxes" && accountId && faxId ? { accountId, faxId } : null;
}

/**
 * Retention: deletes every file of the fax whose document is `documentKey` (the document, fax.tif, previews),
 * i.e. everything under its `faxes/{account}/{fax}/` prefix. Returns how many objects were deleted.
 */
export async function deleteFaxFiles(bucket: Pick<DocumentStore, "list" | "delete">, documentKey: string): Promise<number> {
  const owner = parseFaxFileKey(documentKey);
  if (!owner) return 0;
  const prefix = `faxes/${owner.accountId}/${owner.faxId}/`;
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    const keys = page.objects.map((o) => o.key);
    if (keys.length > 0) await bucket.delete(keys);
    deleted += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return deleted;
}
