/**
 * Faxes that arrive at the gateway (docs/architecture.md "Flows", inbound): before answering, the edge is asked
 * whether the called number is provisioned on this instance (POST /internal/gateway/route; 404 → SIP 404,
 * so the caller's attempt fails `fax.not_a_fax`); once received, the pages become a TIFF-F and go to
 * POST /internal/gateway/inbound. The upload is written to the spool directory first and removed once
 * the edge has it, so an edge that is down (or a restart) loses nothing: the spool is retried on start
 * and then periodically.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readTiff, writeCodedTiff, writeTiff } from "../../codec/index.js";
import type { ReceivedFax } from "../fax-call.js";
import type { ReceivedPage } from "../t30/index.js";
import { normalizeE164 } from "./config.js";
import { EDGE_PATHS, type GatewayInbound } from "../../contract/gateway.js";
import { EdgeUnreachableError, type EdgeClient } from "./edge-client.js";
import type { Logger } from "../../lib/log.js";

const DPI = { standard: 98, fine: 196 } as const;

function sameBitmap(a: { width: number; height: number; data: Uint8Array }, b: { width: number; height: number; data: Uint8Array }): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  const stride = Math.ceil(a.width / 8);
  const mask = a.width % 8 === 0 ? 0xff : (0xff << (8 - (a.width % 8))) & 0xff;
  for (let y = 0; y < a.height; y++) {
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const m = x === stride - 1 ? mask : 0xff;
      if (((a.data[row + x] ?? 0) & m) !== ((b.data[row + x] ?? 0) & m)) return false;
    }
  }
  return true;
}

/**
 * TIFF-F of the received pages, keeping the T.4/T.6 data as it came off the line when it decodes to the
 * very pixels the T.30 engine accepted (no re-encoding, what a PDF can embed as is); otherwise (damaged
 * rows the engine repaired, schemes changing between pages) the decoded bitmaps are coded afresh as MMR.
 */
export function receivedTiff(pages: ReceivedPage[]): Uint8Array {
  const scheme = pages[0]?.scheme;
  if (scheme && pages.every((p) => p.scheme === scheme && p.badRows === 0 && p.coded.length > 0)) {
    try {
      const tiff = writeCodedTiff(
        pages.map((p) => ({ width: p.bitmap.width, height: p.bitmap.height, xResolution: 204, yResolution: DPI[p.resolution], data: p.coded })),
        // Line data from a fax machine has its EOLs wherever the bits fell, not byte aligned.
        { scheme, byteAlign: false },
      );
      const back = readTiff(tiff);
      if (back.length === pages.length && back.every((b, i) => sameBitmap(b.bitmap, pages[i]!.bitmap))) return tiff;
    } catch {
      // Fall through to re-encoding.
    }
  }
  return writeTiff(
    pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: DPI[p.resolution] })),
    { scheme: "mmr" },
  );
}

/** `sip:+15557010001@127.0.0.1:5090` → "+15557010001"; a user part that is not a number is kept as it is. */
export function sipUserNumber(uri: string): string {
  const m = uri.match(/^sips?:([^@;>]+)@/i);
  const user = m ? decodeURIComponent(m[1]!) : uri;
  return normalizeE164(user) ?? user;
}

export interface Spool {
  dir: string;
  /** Writes an upload; returns its file. */
  put(message: GatewayInbound): string;
  remove(file: string): void;
  /** Moves an upload the edge refused for good aside (`rejected/`), for an operator to look at. */
  reject(file: string): void;
  list(): string[];
  read(file: string): GatewayInbound;
}

export function createSpool(dir: string): Spool {
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    put(message) {
      const name = `${Date.parse(message.received_at)}-${createHash("sha256").update(message.call_id).digest("hex").slice(0, 16)}.json`;
      const file = join(dir, name);
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(message));
      renameSync(temp, file);
      return file;
    },
    remove(file) {
      rmSync(file, { force: true });
    },
    reject(file) {
      mkdirSync(join(dir, "rejected"), { recursive: true });
      renameSync(file, join(dir, "rejected", file.slice(dir.length + 1)));
    },
    list() {
      return readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => join(dir, f));
    },
    read(file) {
      return JSON.parse(readFileSync(file, "utf8")) as GatewayInbound;
    },
  };
}

export type UploadOutcome = "delivered" | "rejected" | "spooled";

/** Sends one spooled upload; removes it once the edge has it. */
export async function uploadSpooled(edge: EdgeClient, spool: Spool, file: string, log: Logger, backoffMs?: number[]): Promise<UploadOutcome> {
  let message: GatewayInbound;
  try {
    message = spool.read(file);
  } catch (err) {
    log.error("unreadable spool file", { file, error: (err as Error).message });
    spool.reject(file);
    return "rejected";
  }
  const fields = { call_id: message.call_id, callee: message.callee };
  try {
    const res = await edge.post(EDGE_PATHS.inbound, message, backoffMs ? { backoffMs } : undefined);
    if (res.status < 300) {
      const body = res.body as { fax_id?: string; status?: string } | null;
      log.info("inbound fax handed to the edge", { ...fields, fax_id: body?.fax_id, status: body?.status });
      spool.remove(file);
      return "delivered";
    }
    log.error("the edge refused an inbound fax; kept in the spool's rejected/", { ...fields, status: res.status, detail: JSON.stringify(res.body).slice(0, 300) });
    spool.reject(file);
    return "rejected";
  } catch (err) {
    if (!(err instanceof EdgeUnreachableError)) throw err;
    log.warn("the edge is unreachable; the inbound fax stays in the spool", { ...fields, file, error: err.message });
    return "spooled";
  }
}

/** The upload for a received fax: written to the spool, then sent. */
export function inboundMessage(fax: ReceivedFax, receivedAt: Date): GatewayInbound {
  return {
    call_id: fax.callId,
    caller: sipUserNumber(fax.caller).slice(0, 64),
    callee: sipUserNumber(fax.callee).slice(0, 64),
    remote_ident: fax.remoteIdent ? fax.remoteIdent.slice(0, 64) : null,
    received_at: receivedAt.toISOString(),
    tiff: Buffer.from(receivedTiff(fax.pages)).toString("base64"),
  };
}
