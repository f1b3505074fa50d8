/**
 * Documents encrypted at rest (issue 17 point 4): what R2 holds is ciphertext, every way out is the
 * plaintext byte for byte, ranges decrypt only what they cover, and a wrong, missing or rotated key is
 * handled as the README ("Encryption at rest") documents.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import "../../../src/codec/worker";
import { writeTiff, type Bitmap } from "../../../src/codec";
import { faxFileKeys } from "../../../src/fax/render/keys";
import { renderInboundFax } from "../../../src/fax/render/inbound";
import { signedHeaders } from "../../../src/lib/signature";
import { signObjectUrl } from "../../../src/lib/signed-url";
import { documentStore, type RewrapPage } from "../../../src/storage/documents";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "../helpers";
import { aiText, barsPage, FakeAi, FINE_ROWS, faxTiff, receiveFax, restoreEnv, useEnv, waitForExtraction } from "../inbound/fixtures";

const SIGNATURES: Array<[string, Uint8Array]> = [
  ["%PDF", new TextEncoder().encode("%PDF")],
  ["TIFF (II)", new Uint8Array([0x49, 0x49, 0x2a, 0x00])],
  ["TIFF (MM)", new Uint8Array([0x4d, 0x4d, 0x00, 0x2a])],
  ["PNG", new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
];

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Random bytes of any size (getRandomValues fills at most 64 KiB at a time). */
function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(out.subarray(at, Math.min(size, at + 65_536)));
  return out;
}

/** Where two byte strings first differ (-1: identical); far quicker than toEqual on large arrays. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

async function raw(key: string): Promise<Uint8Array> {
  return new Uint8Array(await (await env.DOCUMENTS.get(key))!.arrayBuffer());
}

/** Every object under `prefix` as R2 stores it: none may carry a document signature anywhere. */
async function expectOnlyCiphertext(prefix: string): Promise<string[]> {
  const listed = await env.DOCUMENTS.list({ prefix });
  expect(listed.objects.length).toBeGreaterThan(0);
  for (const { key } of listed.objects) {
    const bytes = await raw(key);
    expect(new TextDecoder().decode(bytes.subarray(0, 4)), key).toBe("EFXE");
    for (const [name, signature] of SIGNATURES) expect(contains(bytes, signature), `${key} contains ${name}`).toBe(false);
  }
  return listed.objects.map((o) => o.key);
}

async function signedPath(key: string): Promise<string> {
  const { url } = await signObjectUrl("https://fax.test", env.SIGNING_SECRET, key, 600);
  return new URL(url).pathname + new URL(url).search;
}

async function download(path: string, headers: Record<string, string> = {}): Promise<Uint8Array> {
  const res = await api(path, { headers });
  expect(res.status, path).toBeLessThan(300);
  return new Uint8Array(await res.arrayBuffer());
}

function page(seed: number): Bitmap {
  const width = 1728;
  const height = 400;
  const data = new Uint8Array((width / 8) * height);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seed * 13) % 5 === 0 ? 0xf0 : 0;
  return { width, height, data };
}

afterEach(() => restoreEnv());

describe("documents encrypted at rest", () => {
  it("an outbound fax's PDF, TIFF-F and previews are ciphertext in R2 and plain on every way out", async () => {
    const account = await createTestAccount();
    const { id } = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument(2)] })).json<{ id: string }>();
    expect((await waitForFinal(account.key, id)).status).toBe("delivered");
    const keys = await expectOnlyCiphertext(`faxes/${account.accountId}/${id}/`);
    expect(keys.sort()).toEqual([`faxes/${account.accountId}/${id}/document.pdf`, `faxes/${account.accountId}/${id}/fax.tif`, ...[1, 2].map((n) => `faxes/${account.accountId}/${id}/pages/${n}.png`)].sort());

    const files = faxFileKeys(account.accountId, id);
    const pdf = await download(`/v1/faxes/${id}/image?format=pdf`, { authorization: `Bearer ${account.key}` });
    expect(new TextDecoder().decode(pdf.subarray(0, 5))).toBe("%PDF-");
    const link = await (await api(`/v1/faxes/${id}/document`, { key: account.key })).json<{ url: string }>();
    const viaLink = await api(new URL(link.url).pathname + new URL(link.url).search);
    expect(viaLink.headers.get("content-type")).toBe("application/pdf");
    expect(new Uint8Array(await viaLink.arrayBuffer())).toEqual(pdf);
    const tiff = await download(`/v1/faxes/${id}/image?format=tiff`, { authorization: `Bearer ${account.key}` });
    expect([...tiff.subarray(0, 4)]).toEqual([0x49, 0x49, 0x2a, 0x00]);
    expect(await download(await signedPath(files.tiff))).toEqual(tiff);
    const png = await download(`/v1/faxes/${id}/image?format=png&page=2`, { authorization: `Bearer ${account.key}` });
    expect([...png.subarray(0, 8)]).toEqual([...SIGNATURES[3]![1]]);
    expect(await download(await signedPath(files.preview(2)))).toEqual(png);
  });

  it("a fax received from the gateway is stored encrypted, and OCR reads its pages through the same door", async () => {
    const account = await createTestAccount("live");
    const pageTexts = ["Patient Name: Jane Doe", "", "Claim 4411", ""];
    let answers = 0;
    const ai = new FakeAi(() => aiText(pageTexts[answers++] ?? ""));
    useEnv({ OCR_PROVIDER: "workers-ai", AI: ai });
    const pages = [
      { bitmap: barsPage(1728, FINE_ROWS, 1), yResolution: 196 as const },
      { bitmap: barsPage(1728, FINE_ROWS / 2, 2), yResolution: 98 as const },
    ];
    const faxId = await receiveFax(account.number, pages);
    const fax = await waitForExtraction(account.key, faxId);
    expect(fax.ocr?.status).toBe("done");

    const keys = await expectOnlyCiphertext(`faxes/${account.accountId}/${faxId}/`);
    expect(keys.sort()).toEqual(["document.pdf", "fax.tif", "pages/1.png", "pages/2.png"].map((k) => `faxes/${account.accountId}/${faxId}/${k}`));
    // OCR got real page images, decoded from the TIFF-F it decrypted.
    expect(ai.ocrCalls().length).toBeGreaterThan(0);
    for (const call of ai.ocrCalls()) {
      const image = JSON.stringify(call.inputs).match(/data:image\/png;base64,([A-Za-z0-9+/]{12})/);
      expect(image, "an OCR request without a PNG page").not.toBeNull();
    }
    const text = await (await api(`/v1/faxes/${faxId}/text`, { key: account.key })).json<{ pages: { page: number; text: string }[] }>();
    expect(text.pages.map((p) => p.text.trim()).join(" ")).toContain("Jane Doe");
    // What the gateway uploaded comes back byte for byte.
    expect(await download(`/v1/faxes/${faxId}/image?format=tiff`, { authorization: `Bearer ${account.key}` })).toEqual(faxTiff(pages));
    const png = await download(`/v1/faxes/${faxId}/image?format=png&page=1`, { authorization: `Bearer ${account.key}` });
    expect([...png.subarray(0, 8)]).toEqual([...SIGNATURES[3]![1]]);
  });

  it("a received TIFF-F downloads byte-identical through a signed URL", async () => {
    const account = await createTestAccount("live");
    const tiff = writeTiff([page(1), page(2), page(3)].map((bitmap) => ({ bitmap, xResolution: 204, yResolution: 196 })), { scheme: "mh" });
    const faxId = "fax_01jd8x6r3q5v7w9y0a2b4c6d8e";
    await renderInboundFax(env, account.accountId, faxId, tiff);
    await expectOnlyCiphertext(`faxes/${account.accountId}/${faxId}/`);
    expect(await download(await signedPath(faxFileKeys(account.accountId, faxId).tiff))).toEqual(tiff);
  });

  it("sizes around the chunk size round-trip exactly, whole and in ranges", async () => {
    const store = documentStore(env);
    for (const size of [0, 1, 65_535, 65_536, 65_537, 200_003]) {
      const bytes = randomBytes(size);
      // Outside faxes/: no audit entry per download, so the many requests stay quick.
      const key = `sizes/${size}.pdf`;
      await store.put(key, bytes, { contentType: "application/pdf" });
      const stored = await raw(key);
      // Header, then the sealed chunks: each chunk carries a 16-byte tag.
      expect(stored.length).toBeGreaterThanOrEqual(size + 16 * Math.max(1, Math.ceil(size / 65_536)));
      if (size >= 1024) expect(contains(stored, bytes.subarray(500, 532))).toBe(false);
      expect(firstDifference(await (await store.get(key))!.bytes(), bytes)).toBe(-1);
      expect((await store.head(key))!.size).toBe(size);
      if (size === 0) continue;
      const path = await signedPath(key);
      for (const [first, last] of [[0, 0], [size - 1, size - 1], [0, size - 1], [Math.floor(size / 3), Math.floor((2 * size) / 3)], [65_530, 65_545], [1, size + 500]] as Array<[number, number]>) {
        if (first >= size) continue;
        const res = await api(path, { headers: { range: `bytes=${first}-${last}` } });
        expect(res.status).toBe(206);
        const end = Math.min(last, size - 1);
        expect(res.headers.get("content-range")).toBe(`bytes ${first}-${end}/${size}`);
        expect(firstDifference(new Uint8Array(await res.arrayBuffer()), bytes.subarray(first, end + 1)), `bytes=${first}-${last}`).toBe(-1);
      }
      const suffix = await api(path, { headers: { range: "bytes=-10" } });
      expect(suffix.status).toBe(206);
      expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.subarray(Math.max(0, size - 10)));
      await expectProblem(await api(path, { headers: { range: `bytes=${size}-` } }), 416, "request.range_not_satisfiable");
      // Several ranges are not served as a multipart answer: the whole document comes back.
      const several = await api(path, { headers: { range: "bytes=0-0,2-3" } });
      expect(several.status).toBe(200);
      expect(firstDifference(new Uint8Array(await several.arrayBuffer()), bytes)).toBe(-1);
    }
  });

  it("objects written before encryption are served as they are, ranges included", async () => {
    const key = "faxes/acct_legacy/fax_legacy/document.pdf";
    const legacy = new TextEncoder().encode("%PDF-1.4 a document stored before encryption existed");
    await env.DOCUMENTS.put(key, legacy, { httpMetadata: { contentType: "application/pdf" } });
    const path = await signedPath(key);
    expect(await download(path)).toEqual(legacy);
    const range = await api(path, { headers: { range: "bytes=0-3" } });
    expect(range.headers.get("content-range")).toBe(`bytes 0-3/${legacy.length}`);
    expect(new TextDecoder().decode(await range.arrayBuffer())).toBe("%PDF");
    expect((await documentStore(env).head(key))!.size).toBe(legacy.length);
    await env.DOCUMENTS.put("legacy/empty.bin", new Uint8Array(0));
    expect((await documentStore(env).head("legacy/empty.bin"))!.size).toBe(0);
    expect(await download(await signedPath("legacy/empty.bin"))).toEqual(new Uint8Array(0));
  });

  it("a sealed object whose R2 metadata was lost still reads whole and in ranges, never as ciphertext", async () => {
    const bytes = randomBytes(100_000);
    await documentStore(env).put("bare/a.bin", bytes);
    await env.DOCUMENTS.put("bare/a.bin", await raw("bare/a.bin"));
    expect((await documentStore(env).head("bare/a.bin"))!.size).toBe(100_000);
    const res = await api(await signedPath("bare/a.bin"), { headers: { range: "bytes=70000-70009" } });
    expect(res.headers.get("content-range")).toBe("bytes 70000-70009/100000");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes.subarray(70_000, 70_010));
  });

  it("a changed, cut or moved stored object fails with document.undecryptable, never returns wrong bytes", async () => {
    const store = documentStore(env);
    const bytes = randomBytes(150_000);
    const key = "faxes/acct_tamper/fax_tamper/document.pdf";
    await store.put(key, bytes);
    const original = (await env.DOCUMENTS.get(key))!;
    const sealed = new Uint8Array(await original.arrayBuffer());
    const rewrite = (content: Uint8Array, at = key) => env.DOCUMENTS.put(at, content, { customMetadata: original.customMetadata });
    const path = await signedPath(key);

    // One bit of the last chunk: the first chunks stream, and the body then errors instead of ending cleanly.
    const flipped = sealed.slice();
    flipped[flipped.length - 100]! ^= 1;
    await rewrite(flipped);
    await expect((await store.get(key))!.bytes()).rejects.toMatchObject({ code: "document.undecryptable" });
    await expect(api(path).then((r) => r.arrayBuffer())).rejects.toThrow();
    // A range inside the changed chunk fails before the response starts.
    await expectProblem(await api(path, { headers: { range: "bytes=149000-149999" } }), 500, "document.undecryptable");

    // One bit of the first chunk: refused before any byte is sent.
    const early = sealed.slice();
    early[early.length - 150_000]! ^= 1;
    await rewrite(early);
    await expectProblem(await api(path), 500, "document.undecryptable");

    // The tail cut at a chunk boundary (the last chunk dropped whole).
    await rewrite(sealed.subarray(0, sealed.length - (150_000 - 2 * 65_536) - 16));
    await expect((await store.get(key))!.bytes()).rejects.toMatchObject({ code: "document.undecryptable" });

    // A damaged header.
    const header = sealed.slice();
    header[8] = 0x7b;
    header[9] = 0x7d;
    await rewrite(header);
    await expectProblem(await api(path), 500, "document.undecryptable");

    // Intact ciphertext copied to another fax's key does not decrypt there.
    const elsewhere = "faxes/acct_other/fax_other/document.pdf";
    await rewrite(sealed, elsewhere);
    await expectProblem(await api(await signedPath(elsewhere)), 500, "document.undecryptable");

    await rewrite(sealed);
    expect(await download(path)).toEqual(bytes);
  });
});

describe("keys", () => {
  const OLD = btoa("edgefax-test-document-key-32byte");
  const NEW = btoa("edgefax-rotated-document-key-32b");
  const storeWith = (secret: string | undefined) => documentStore({ DOCUMENTS: env.DOCUMENTS, DOCUMENT_ENCRYPTION_KEY: secret as string });

  it("no DOCUMENT_ENCRYPTION_KEY: writes and reads of sealed objects answer document.key_unavailable; legacy objects still read", async () => {
    await storeWith(OLD).put("nokey/sealed.bin", new Uint8Array([1, 2, 3]));
    await env.DOCUMENTS.put("nokey/plain.bin", new Uint8Array([4, 5, 6]));
    for (const missing of [undefined, ""]) {
      const store = storeWith(missing);
      await expect(store.put("nokey/new.bin", new Uint8Array([1]))).rejects.toMatchObject({ code: "document.key_unavailable" });
      await expect(store.get("nokey/sealed.bin")).rejects.toMatchObject({ code: "document.key_unavailable" });
      expect(await (await store.get("nokey/plain.bin"))!.bytes()).toEqual(new Uint8Array([4, 5, 6]));
    }
    // Through the API: the problem names the missing key's id, never the key.
    useEnv({ DOCUMENT_ENCRYPTION_KEY: NEW });
    const problem = await expectProblem(await api(await signedPath("nokey/sealed.bin")), 500, "document.key_unavailable");
    expect(String(problem.detail)).toMatch(/under key [0-9a-f]{16}, which is not in DOCUMENT_ENCRYPTION_KEY/);
    expect(JSON.stringify(problem)).not.toContain(OLD);
  });

  it("old keys listed after the new one keep working; rewrap moves objects to the new key; then the old key can go", async () => {
    const before = storeWith(OLD);
    const plain = randomBytes(70_000);
    await before.put("rotation/old.bin", plain, { contentType: "application/pdf" });
    await env.DOCUMENTS.put("rotation/legacy.bin", plain.subarray(0, 1000));

    const newOnly = storeWith(NEW);
    await expect(newOnly.get("rotation/old.bin")).rejects.toMatchObject({ code: "document.key_unavailable" });

    const rotating = storeWith(`${NEW}, ${OLD}`);
    expect(await (await rotating.get("rotation/old.bin"))!.bytes()).toEqual(plain);
    await rotating.put("rotation/new.bin", plain);
    await expect(before.get("rotation/new.bin")).rejects.toMatchObject({ code: "document.key_unavailable" });

    const rawBefore = await raw("rotation/old.bin");
    expect(await rotating.rewrap({ prefix: "rotation/" })).toEqual({ scanned: 3, rewrapped: 1, sealed: 1, unavailable: 0, cursor: null });
    expect(await rotating.rewrap({ prefix: "rotation/" })).toEqual({ scanned: 3, rewrapped: 0, sealed: 0, unavailable: 0, cursor: null });
    const rawAfter = await raw("rotation/old.bin");
    // Only the wrapped data key changed: the sealed chunks are the same bytes.
    expect(rawAfter.subarray(rawAfter.length - 70_032)).toEqual(rawBefore.subarray(rawBefore.length - 70_032));
    expect(rawAfter.subarray(0, 200)).not.toEqual(rawBefore.subarray(0, 200));
    // The object stored before encryption is ciphertext now.
    expect(new TextDecoder().decode((await raw("rotation/legacy.bin")).subarray(0, 4))).toBe("EFXE");

    // The old key removed: everything still reads, whole and in ranges, with its metadata.
    for (const key of ["rotation/old.bin", "rotation/new.bin"]) expect(await (await newOnly.get(key))!.bytes()).toEqual(plain);
    expect(await (await newOnly.get("rotation/legacy.bin"))!.bytes()).toEqual(plain.subarray(0, 1000));
    const range = (await newOnly.get("rotation/old.bin", { range: { offset: 65_000, length: 2_000 } }))!;
    expect(await range.bytes()).toEqual(plain.subarray(65_000, 67_000));
    expect(range.contentType).toBe("application/pdf");
    expect((await newOnly.head("rotation/old.bin"))!.size).toBe(70_000);

    // A store that never had the old key counts what it cannot move instead of failing.
    await before.put("rotation-lost/a.bin", plain.subarray(0, 10));
    expect(await newOnly.rewrap({ prefix: "rotation-lost/" })).toMatchObject({ rewrapped: 0, unavailable: 1 });
  });

  it("a re-wrap does not bring back an object deleted or replaced while it ran", async () => {
    const rotating = storeWith(`${NEW},${OLD}`);
    await storeWith(OLD).put("race/a.bin", new Uint8Array([1, 2, 3]));
    const bucket = env.DOCUMENTS;
    // The object is replaced between the re-wrap's read and its write.
    const racing = documentStore({
      DOCUMENT_ENCRYPTION_KEY: `${NEW},${OLD}`,
      DOCUMENTS: new Proxy(bucket, {
        get(target, name) {
          if (name === "put") {
            return async (key: string, value: Uint8Array, options: R2PutOptions) => {
              await rotating.put(key, new Uint8Array([9, 9]));
              return target.put(key, value, options);
            };
          }
          const member = Reflect.get(target, name);
          return typeof member === "function" ? member.bind(target) : member;
        },
      }),
    });
    expect(await racing.rewrap({ prefix: "race/" })).toMatchObject({ rewrapped: 0 });
    expect(await (await rotating.get("race/a.bin"))!.bytes()).toEqual(new Uint8Array([9, 9]));
  });
});

describe("POST /internal/documents/rewrap (npm run documents:rewrap)", () => {
  async function rewrapPage(cursor: string | null): Promise<Response> {
    const body = JSON.stringify({ cursor, limit: 2 });
    return api("/internal/documents/rewrap", { method: "POST", body, headers: { "content-type": "application/json", ...(await signedHeaders([env.SIGNING_SECRET], `rewrap_${crypto.randomUUID()}`, body)) } });
  }

  it("runs the re-wrap a page at a time when signed with SIGNING_SECRET, and refuses anything else", async () => {
    await env.DOCUMENTS.put("rewrap-route/legacy.bin", new Uint8Array([1, 2, 3]));
    await documentStore({ DOCUMENTS: env.DOCUMENTS, DOCUMENT_ENCRYPTION_KEY: btoa("a-key-that-this-worker-has-not-!") }).put("rewrap-route/foreign.bin", new Uint8Array([4]));
    const total = { scanned: 0, sealed: 0, unavailable: 0, pages: 0 };
    let cursor: string | null = null;
    do {
      const res = await rewrapPage(cursor);
      expect(res.status).toBe(200);
      const page = await res.json<RewrapPage>();
      expect(page.scanned).toBeLessThanOrEqual(2);
      total.scanned += page.scanned;
      total.sealed += page.sealed;
      total.unavailable += page.unavailable;
      total.pages++;
      cursor = page.cursor;
    } while (cursor);
    expect(total.pages).toBeGreaterThan(1);
    expect(total.sealed).toBeGreaterThanOrEqual(1);
    expect(total.unavailable).toBeGreaterThanOrEqual(1);
    expect(new TextDecoder().decode((await raw("rewrap-route/legacy.bin")).subarray(0, 4))).toBe("EFXE");
    expect(await (await documentStore(env).get("rewrap-route/legacy.bin"))!.bytes()).toEqual(new Uint8Array([1, 2, 3]));

    const body = JSON.stringify({ cursor: null });
    await expectProblem(await api("/internal/documents/rewrap", { method: "POST", body, headers: { "content-type": "application/json" } }), 401, "auth.invalid");
    const forged = await signedHeaders(["not-the-secret"], "rewrap_forged", body);
    await expectProblem(await api("/internal/documents/rewrap", { method: "POST", body, headers: { "content-type": "application/json", ...forged } }), 401, "auth.invalid");
  });
});
