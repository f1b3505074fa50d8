/**
 * What the inbound pipeline (src/inbound/, issue 14) read from a received fax, on its detail page: the OCR
 * text of each page with its confidence, and the fields extracted into the account's (or number's) schema.
 * Showing them is reading a customer's document, so the page records fax.read_text and fax.read_extraction.
 */
import type { Context } from "hono";
import type { FC } from "hono/jsx";
import { database } from "../../db/client";
import { listPageTexts, type PageTextRow } from "../../db/fax-text-store";
import type { Fax } from "../../fax/schema";
import { auditMember } from "../audit";
import type { PortalEnv } from "../context";
import { Empty } from "../layout";

/** A value as a person reads it: text as is, numbers and booleans as written, lists and objects as compact JSON. */
export function fieldValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const PageTexts: FC<{ pages: PageTextRow[]; ocr: Fax["ocr"] }> = ({ pages, ocr }) => {
  if (pages.length === 0) {
    return <Empty>{ocr?.status === "pending" ? "The pages are still being read; reload in a moment." : ocr?.status === "failed" ? "The pages could not be read." : "No text was read from this fax."}</Empty>;
  }
  return (
    <>
      {pages.map((p) => (
        <section class="page-text" aria-labelledby={`text-${p.page}`}>
          <h3 id={`text-${p.page}`}>
            Page {p.page}{" "}
            <span class="hint">
              {p.status === "failed"
                ? `(not read: ${p.error ?? "failed"})`
                : `(confidence ${p.confidence === null ? "unknown" : Math.round(p.confidence)}${p.flagged ? ", low: check the page image" : ""}, ${p.engine})`}
            </span>
          </h3>
          {p.text ? (
            <pre class="ocr" tabindex={0} aria-label={`Text of page ${p.page}`}>
              {p.text}
            </pre>
          ) : <p class="hint">No text on this page.</p>}
        </section>
      ))}
    </>
  );
};

const Extraction: FC<{ extraction: Fax["extraction"] }> = ({ extraction }) => {
  if (!extraction || extraction.status === "skipped") return <Empty>No extraction schema is set for this number or the account, so no fields are extracted.</Empty>;
  if (extraction.status === "pending") return <Empty>The fields are being extracted; reload in a moment.</Empty>;
  if (extraction.status === "failed" || !extraction.data) return <Empty>The fields could not be extracted{extraction.detail ? `: ${extraction.detail}` : "."}</Empty>;
  return (
    <dl class="facts" id="extracted-fields">
      {Object.entries(extraction.data).map(([name, value]) => (
        <>
          <dt>{name}</dt>
          <dd>{fieldValue(value)}</dd>
        </>
      ))}
    </dl>
  );
};

/** The text and fields of a received fax (nothing for a sent one), recorded as read in the audit log. */
export async function faxReading(c: Context<PortalEnv>, fax: Fax) {
  if (fax.direction !== "inbound") return null;
  const member = c.get("member");
  const pages = await listPageTexts(database(c.env.DB), member.accountId, fax.id);
  if (pages.length > 0) auditMember(c, "fax.read_text", { type: "fax", id: fax.id });
  if (fax.extraction?.status === "done" && fax.extraction.data) auditMember(c, "fax.read_extraction", { type: "fax", id: fax.id });
  return (
    <>
      <h2>Extracted fields</h2>
      <Extraction extraction={fax.extraction} />
      <h2>Text</h2>
      <PageTexts pages={pages} ocr={fax.ocr} />
    </>
  );
}
