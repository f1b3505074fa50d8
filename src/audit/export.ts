/**
 * The audit log's JSONL export as a stream (issue 17 point 3): the stretch of the chain covering [from, to),
 * one stored line per entry in seq order, so `npm run -s audit:verify` can check it. Served by
 * GET /v1/audit-events/export and the portal's audit page alike.
 */
import type { Db } from "../db/client";
import { chainLines, exportRange } from "./store";

export async function auditExportStream(db: Db, accountId: string, from?: string, to?: string): Promise<ReadableStream<Uint8Array>> {
  const range = await exportRange(db, accountId, from, to);
  const lines = range ? chainLines(db, accountId, range) : null;
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = lines ? await lines.next() : { done: true as const, value: undefined };
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value + "\n"));
    },
  });
}

/** The response headers of an export: a private download named after the account. */
export function auditExportHeaders(accountId: string): Record<string, string> {
  return { "content-type": "application/jsonl; charset=utf-8", "cache-control": "private, no-store", "content-disposition": `attachment; filename="audit-${accountId}.jsonl"` };
}
