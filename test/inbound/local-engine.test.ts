/**
 * The offline OCR engine on fax forms this suite renders itself (issue 14 point 2): labelled forms at fine and
 * standard resolution and one with line noise, read by tesseract.js with the packaged model, then extracted by
 * the label extractor. Also the service's signed channel. About 1 s of one core per page.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AddressInfo } from "node:net";
import { writePbm, type Bitmap } from "../../src/codec/node.js";
import { extractByLabels } from "../../src/inbound/label-extractor.js";
import { prepareFaxPage, removeIsolatedPixels, startFaxOcrEngine, type FaxOcrEngine } from "../../src/inbound/local-engine/engine.js";
import { createOcrService } from "../../src/inbound/local-engine/service.js";
import type { ExtractionSchema } from "../../src/inbound/extraction-schema.js";
import { toBase64 } from "../../src/lib/crypto.js";
import { signedHeaders } from "../../src/lib/signature.js";
import { characterErrorRate, FORM_SCHEMA, makeFaxForm, type FaxForm } from "../fixtures/fax-forms.js";

let engine: FaxOcrEngine;
beforeAll(async () => {
  engine = await startFaxOcrEngine({ workers: 1 });
}, 60_000);
afterAll(async () => {
  await engine?.stop();
});

async function readForm(form: FaxForm) {
  const reading = await engine.read(form.page);
  return { reading, cer: characterErrorRate(form.lines, reading.text), data: extractByLabels(FORM_SCHEMA as unknown as ExtractionSchema, reading.text) };
}

describe("preparing a fax page for the engine", () => {
  it("doubles the rows of a 204×98 page and removes isolated pixels only", () => {
    const b: Bitmap = { width: 16, height: 3, data: new Uint8Array([0b10000000, 0, 0, 0b00000011, 0, 0b00000001]) };
    // (0,0) is alone; (14,1), (15,1) and (15,2) touch each other.
    expect([...removeIsolatedPixels(b).data]).toEqual([0, 0, 0, 0b00000011, 0, 0b00000001]);
    const prepared = prepareFaxPage({ bitmap: b, xResolution: 204, yResolution: 98 });
    expect(prepared.height).toBe(6);
    expect([...prepared.data]).toEqual([0, 0, 0, 0, 0, 0b00000011, 0, 0b00000011, 0, 0b00000001, 0, 0b00000001]);
    expect(prepareFaxPage({ bitmap: b, xResolution: 204, yResolution: 196 }).height).toBe(3);
  });
});

describe("the local OCR engine", () => {
  it("reads a clean fine form within 1% CER and extracts its fields exactly; absent fields are null", async () => {
    const form = await makeFaxForm(1, "fine");
    const { reading, cer, data } = await readForm(form);
    expect(cer, reading.text).toBeLessThanOrEqual(0.01);
    expect(reading.confidence).toBeGreaterThan(80);
    expect(data).toEqual(form.fields);
  });

  it("reads a standard-resolution form within 3.5% CER", async () => {
    const form = await makeFaxForm(2, "standard");
    const { reading, cer, data } = await readForm(form);
    expect(cer, reading.text).toBeLessThanOrEqual(0.035);
    expect(data.fax_back_number).toBeNull();
    expect(data.patient_name).toBe(form.fields.patient_name);
  });

  it("reads right, merging a second reading, the standard form the model alone misreads (Nakarnura) and a noisy fine form", async () => {
    // Seed 1 standard and seed 5 noisy: the pages where the model alone read worse than Debian's tesseract CLI (bench:ocr).
    for (const form of [await makeFaxForm(1, "standard"), await makeFaxForm(5, "fine", true)]) {
      const { reading, cer } = await readForm(form);
      expect(cer, reading.text).toBe(0);
    }
  });

  it("reads a fine form with line noise", async () => {
    const form = await makeFaxForm(3, "fine", true);
    const { reading, cer } = await readForm(form);
    expect(cer, reading.text).toBeLessThanOrEqual(0.03);
  });

  it("gives a low confidence to a page that is only noise", async () => {
    const stride = 1728 / 8;
    const data = new Uint8Array(stride * 600);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 29 === 0 ? 0x3c : 0;
    const reading = await engine.read({ bitmap: { width: 1728, height: 600, data }, xResolution: 204, yResolution: 196 });
    expect(reading.confidence).toBeLessThan(80);
  });
});

describe("the engine's pool of workers", () => {
  it("reads the pages of a fax side by side and gives each page its own text", async () => {
    const pool = await startFaxOcrEngine({ workers: 2 });
    try {
      const forms = await Promise.all([5, 6, 7].map((seed) => makeFaxForm(seed, "fine")));
      const readings = await Promise.all(forms.map((form) => pool.read(form.page)));
      for (const [i, form] of forms.entries()) {
        expect(readings[i]!.text).toContain(String(form.fields.claim_number));
        expect(characterErrorRate(form.lines, readings[i]!.text), readings[i]!.text).toBeLessThanOrEqual(0.01);
      }
    } finally {
      await pool.stop();
    }
  });
});

describe("the OCR service", () => {
  it("reads signed pages and refuses unsigned or malformed ones", async () => {
    const secret = "whsec_dGVzdC1vY3Itc2VjcmV0LTAxMjM0NTY3ODk=";
    const server = createOcrService(engine, secret);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const form = await makeFaxForm(4, "fine");
      const body = JSON.stringify({ fax_id: "fax_x", page: 1, x_resolution: 204, y_resolution: 196, pbm: toBase64(writePbm([form.page.bitmap])) });
      const ok = await fetch(`${url}/pages`, { method: "POST", headers: { "content-type": "application/json", ...(await signedHeaders([secret], "msg_1", body)) }, body });
      expect(ok.status).toBe(200);
      const answer = (await ok.json()) as { text: string; confidence: number; engine: string };
      expect(answer.engine).toMatch(/^tesseract\.js 7\.0\.0 eng 4\.0\.0_best_int$/);
      expect(answer.text).toContain(String(form.fields.claim_number));
      expect((await fetch(`${url}/pages`, { method: "POST", body })).status).toBe(401);
      expect((await fetch(`${url}/pages`, { method: "POST", headers: await signedHeaders(["whsec_b3RoZXI="], "msg_2", body), body })).status).toBe(401);
      const bad = JSON.stringify({ fax_id: "fax_x", page: 1, x_resolution: 204, y_resolution: 196, pbm: toBase64(new Uint8Array([1, 2, 3])) });
      expect((await fetch(`${url}/pages`, { method: "POST", headers: await signedHeaders([secret], "msg_3", bad), body: bad })).status).toBe(400);
      expect((await (await fetch(`${url}/health`)).json()) as object).toMatchObject({ ok: true });
    } finally {
      server.close();
    }
  });
});
