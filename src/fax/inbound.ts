/**
 * Inbound faxes (docs/architecture.md "Flows", inbound): the gateway uploads a received TIFF-F; the number it came
 * to names the account; the FaxObject goes `receiving` → `received` once the TIFF, its PDF and the
 * previews are in R2, and `fax.received` is emitted. A repeated upload of the same call is harmless:
 * the fax id is derived from the call id, so it names the same FaxObject.
 */
import { isoNow } from "../config";
import { database } from "../db/client";
import { indexFaxText } from "../db/fax-text-store";
import { findNumberHolder } from "../db/number-store";
import { sha256Hex } from "../lib/crypto";
import { countInboundPages } from "../partners/usage";
import { faxObject } from "./fax-stub";
import { faxFileKeys } from "./render/keys";
import { renderInboundFax } from "./render/inbound";
import type { Fax } from "./schema";

export interface InboundUpload {
  callId: string;
  caller: string;
  callee: string;
  remoteIdent: string | null;
  receivedAtMs: number;
  tiff: Uint8Array;
}

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

/** A fax id with the call's time (so ids still sort by time) and a hash of the call id instead of randomness. */
async function inboundFaxId(callId: string, receivedAtMs: number): Promise<string> {
  let time = "";
  let t = receivedAtMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const hash = await sha256Hex(`inbound:${callId}`);
  let tail = "";
  for (let i = 0; i < 16; i++) tail += CROCKFORD[parseInt(hash.slice(i * 2, i * 2 + 2), 16) % 32];
  return `fax_${time}${tail}`;
}

/** An inbound fax as it starts: `receiving`, one attempt, the call id in its own field (metadata is the user's). */
export function inboundFax(f: {
  id: string;
  mode: "test" | "live";
  to: string;
  from: string;
  remoteIdent: string | null;
  callId: string;
  receivedAtMs: number;
  nowIso: string;
  externalUserId?: string | null;
}): Fax {
  return {
    id: f.id,
    direction: "inbound",
    mode: f.mode,
    status: "receiving",
    to: f.to,
    from: f.from,
    page_count: 0,
    pages_sent: 0,
    attempts: 1,
    max_attempts: 1,
    next_attempt_at: null,
    last_error: null,
    error: null,
    options: { resolution: "fine", max_attempts: 1, retry_delay: 300, image_conversion: "auto" },
    header_text: null,
    cover_page: null,
    metadata: {},
    webhook_url: null,
    send_at: null,
    estimated_delivery: null,
    resent_from: null,
    remote_ident: f.remoteIdent,
    image_downloaded: null,
    created_at: isoNow(f.receivedAtMs),
    updated_at: f.nowIso,
    completed_at: null,
    external_user_id: f.externalUserId ?? null,
    purged_at: null,
    call_id: f.callId,
  };
}

export type InboundResult = { ok: true; fax: Fax } | { ok: false; reason: "unknown_number" };

export async function acceptInboundFax(env: Env, upload: InboundUpload): Promise<InboundResult> {
  const holder = await findNumberHolder(database(env.DB), upload.callee);
  if (!holder) return { ok: false, reason: "unknown_number" };
  const id = await inboundFaxId(upload.callId, upload.receivedAtMs);
  const keys = faxFileKeys(holder.accountId, id);
  const stub = faxObject(env, id);
  const fax = await stub.receive({
    accountId: holder.accountId,
    documentKey: keys.document,
    userId: holder.userId,
    fax: inboundFax({ id, mode: holder.mode, to: upload.callee, from: upload.caller, remoteIdent: upload.remoteIdent, callId: upload.callId, receivedAtMs: upload.receivedAtMs, nowIso: isoNow(), externalUserId: holder.externalUserId }),
  });
  if (fax.status !== "receiving") return { ok: true, fax };
  try {
    const rendered = await renderInboundFax(env, holder.accountId, id, upload.tiff);
    // Searchable by sender and remote ident at once; the pipeline adds the text once the pages are read.
    await indexFaxText(database(env.DB), { accountId: holder.accountId, faxId: id, from: upload.caller, remoteIdent: upload.remoteIdent, body: "" });
    const done = await stub.receivedComplete({ pageCount: rendered.pageCount, remoteIdent: upload.remoteIdent });
    if (done?.status === "received") await countInboundPages(env, database(env.DB), holder, done);
    return { ok: true, fax: done ?? fax };
  } catch (error) {
    await stub.receiveFailed(`The received TIFF could not be read: ${error instanceof Error ? error.message : String(error)}`);
    return { ok: true, fax: (await stub.read()) ?? fax };
  }
}
