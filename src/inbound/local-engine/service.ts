/**
 * The local OCR service (src/contract/ocr.ts): POST /pages reads one received page, GET /health answers when the
 * engine is loaded. Requests are signed like the gateway channel (Standard Webhooks v1 with OCR_SECRET); an
 * unsigned or stale request is refused before anything is decoded.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { readPbm } from "../../codec/node";
import { OcrPageRequestSchema, type OcrPageResponse } from "../../contract/ocr";
import { fromBase64 } from "../../lib/crypto";
import { verifySignedHeaders } from "../../lib/signature";
import type { FaxOcrEngine } from "./engine";

const MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function createOcrService(engine: FaxOcrEngine, secret: string): Server {
  return createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      if (req.method === "GET" && req.url === "/health") return reply(200, { ok: true, engine: engine.name });
      if (req.method !== "POST" || req.url !== "/pages") return reply(404, { error: "not found" });
      const body = await readBody(req);
      if (body === null) return reply(413, { error: "page too large" });
      if (!(await verifySignedHeaders(secret, (name) => req.headers[name] as string | undefined, body))) return reply(401, { error: "bad signature" });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return reply(400, { error: "not JSON" });
      }
      const parsed = OcrPageRequestSchema.safeParse(json);
      if (!parsed.success) return reply(400, { error: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
      let bitmap;
      try {
        [bitmap] = readPbm(fromBase64(parsed.data.pbm));
      } catch {
        bitmap = undefined;
      }
      if (!bitmap) return reply(400, { error: "pbm is not a PBM (P4) image" });
      const started = performance.now();
      const reading = await engine.read({ bitmap, xResolution: parsed.data.x_resolution, yResolution: parsed.data.y_resolution });
      const answer: OcrPageResponse = { ...reading, engine: engine.name, ms: Math.round(performance.now() - started) };
      reply(200, answer);
    })().catch((error: unknown) => reply(500, { error: error instanceof Error ? error.message : String(error) }));
  });
}
