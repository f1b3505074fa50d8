/** Send a fax from the portal: upload a document and/or fill in a cover page. The same createFax as POST /v1/faxes. */
import type { Context, Hono } from "hono";
import { settings } from "../../config";
import { database } from "../../db/client";
import { listNumbers, type NumberRow } from "../../db/number-store";
import { ApiError } from "../../errors/api-error";
import { createFax } from "../../fax/create";
import { assembleFaxDocument, type IncomingDocument } from "../../fax/documents";
import { normalizeE164 } from "../../fax/phone";
import { CoverPageSchema } from "../../fax/schema";
import type { PortalEnv } from "../context";
import { CsrfField, Empty, Layout, Notice } from "../layout";
import { can } from "../permissions";
import { auditMember } from "../audit";
import { allow } from "../session";

function text(form: Record<string, unknown>, name: string): string {
  const v = form[name];
  return typeof v === "string" ? v.trim() : "";
}

async function sendPage(c: Context<PortalEnv>, numbers: NumberRow[], error?: { title: string; detail?: string }, values: Record<string, string> = {}, status: 200 | 422 = 200) {
  const member = c.get("member");
  return c.html(
    <Layout title="Send a fax" member={member} csrf={c.get("csrf")} current="/portal/send">
      {error ? (
        <Notice kind="error">
          <strong>{error.title}</strong> {error.detail && error.detail !== error.title ? error.detail : ""}
        </Notice>
      ) : null}
      {numbers.length === 0 ? (
        <Empty>
          You need a number to send from. {can(member.role, "numbers.manage") ? <a href="/portal/numbers">Get a test number</a> : "Ask an owner or admin to get one"}.
        </Empty>
      ) : (
        <form method="post" action="/portal/send" enctype="multipart/form-data" class="stack">
          <CsrfField token={c.get("csrf")} />
          <label for="send-from">From</label>
          <select id="send-from" name="from" required>
              {numbers.map((n) => (
                <option value={n.number} selected={values.from === n.number}>
                  {n.number} ({n.mode}
                  {n.label ? `, ${n.label}` : ""})
                </option>
              ))}
          </select>
          <label for="send-to">To</label>
          <input id="send-to" name="to" type="tel" required placeholder="+15550100001" value={values.to ?? ""} autocomplete="off" aria-describedby="send-to-hint" />
          <span id="send-to-hint" class="hint">E.164. With a test number, +15550100001 always delivers; see the README for the other magic numbers.</span>
          <label for="send-file">Document</label>
          <input id="send-file" name="file" type="file" accept="application/pdf,image/png,image/jpeg,image/tiff" aria-describedby="send-file-hint" />
          <span id="send-file-hint" class="hint">PDF, PNG, JPEG or TIFF, up to {Math.round(settings(c.env).maxDocumentBytes / 1048576)} MiB. Optional with a cover page.</span>
          <fieldset>
            <legend>Cover page (optional)</legend>
            <label>
              Recipient's name
              <input name="to_name" maxlength={200} value={values.to_name ?? ""} />
            </label>
            <label>
              Subject
              <input name="subject" maxlength={200} value={values.subject ?? ""} />
            </label>
            <label>
              Message
              <textarea name="message" rows={4} maxlength={5000}>
                {values.message ?? ""}
              </textarea>
            </label>
          </fieldset>
          <div>
            <button type="submit">Send the fax</button>
          </div>
        </form>
      )}
    </Layout>,
    status,
  );
}

async function accountNumbers(c: Context<PortalEnv>): Promise<NumberRow[]> {
  // Only the numbers of the session's test/live context: a fax's mode is its sender number's.
  return (await listNumbers(database(c.env.DB), c.get("member"), 100)).data;
}

export function registerSendPages(portal: Hono<PortalEnv>): void {
  portal.get("/portal/send", allow("faxes.send"), async (c) => sendPage(c, await accountNumbers(c)));

  portal.post("/portal/send", allow("faxes.send"), async (c) => {
    const member = c.get("member");
    const form = await c.req.parseBody();
    const values = Object.fromEntries(["from", "to", "to_name", "subject", "message"].map((k) => [k, text(form, k)]));
    const numbers = await accountNumbers(c);
    try {
      const number = numbers.find((n) => n.number === values.from);
      if (!number) throw new ApiError("fax.sender.invalid", { detail: "Choose one of your numbers to send from." });
      const to = normalizeE164(values.to ?? "");
      if (!to) throw new ApiError("fax.recipient.invalid", { detail: `${values.to || "(empty)"} is not a phone number in E.164 form, such as +15550100001.` });
      const coverFields = CoverPageSchema.parse(Object.fromEntries(["to_name", "subject", "message"].filter((k) => values[k]).map((k) => [k, values[k]])));
      const hasCover = Object.keys(coverFields).length > 0;
      const uploads: IncomingDocument[] = [];
      const file = form.file;
      if (file instanceof File && file.size > 0) uploads.push({ bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type || null, filename: file.name, pointer: "file" });
      const limits = { maxDocumentBytes: settings(c.env).maxDocumentBytes, maxPages: settings(c.env).maxPages };
      const fax = await createFax(c.env, member.accountId, number.mode, { from: number.number, cover_page: hasCover ? coverFields : undefined }, to, (from, date) =>
        assembleFaxDocument(uploads, hasCover ? { ...coverFields, to, from, date } : undefined, limits),
      );
      auditMember(c, "fax.send", { type: "fax", id: fax.id });
      return c.redirect(`/portal/faxes/${fax.id}?done=sent`, 303);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return sendPage(c, numbers, { title: error.message, detail: error.detail }, values, 422);
    }
  });
}
