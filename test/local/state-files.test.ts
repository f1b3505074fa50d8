/**
 * `npm start`'s state files hold no document and no fax or end-user metadata or cover-page text in clear (issue
 * 17 point 4, "How it is shown": "the bytes in R2 (and in `npm start`'s local state files) contain no %PDF, no TIFF header and
 * no PNG signature, yet every download is byte-identical"). A test fax with metadata and a cover page goes to the
 * simulated carrier, a live fax goes over the loopback gateway to the account's own number and is received; then
 * every file under the instance's state directory (D1's and Durable Objects' SQLite files, R2's blobs) is read.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Account, pdfBase64, type Fax } from "../interop/gateway/lib.js";
import { createKey, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server.js";

const SIGNATURES: Array<[string, Buffer]> = [
  ["%PDF", Buffer.from("%PDF")],
  ["TIFF (II*\\0)", Buffer.from([0x49, 0x49, 0x2a, 0x00])],
  ["TIFF (MM\\0*)", Buffer.from([0x4d, 0x4d, 0x00, 0x2a])],
  ["PNG", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function token(label: string): string {
  return `${label}-${crypto.randomUUID().slice(0, 12)}`;
}

describe("npm start: the local state files", () => {
  let stateDir: string;
  let platform: LocalPlatform | undefined;

  beforeAll(async () => {
    stateDir = await makeStateDir("state-files");
    platform = await startLocalPlatform({ stateDir });
  }, 150_000);

  afterAll(async () => {
    await platform?.stop();
    if (stateDir) await removeStateDir(stateDir);
  }, 60_000);

  it("hold no PDF, TIFF or PNG and no metadata or cover text in clear, while downloads are byte-identical", async () => {
    const test = new Account(platform!.url, await createKey(stateDir, { rateLimit: 100_000 }));
    const live = new Account(platform!.url, await createKey(stateDir, { live: true, rateLimit: 100_000 }));
    const metadata = { order_id: token("ORDER"), patient: token("Jane Roe") };
    const cover = { to_name: token("Dr Rivera"), subject: token("Referral"), message: token("Confidential lab results") };
    // Metadata and cover page on the test fax (its cover page is not OCR'd anywhere); metadata only on the live
    // one, whose received copy is read by the local OCR service (its text is in D1 for search, by design).
    const liveMetadata = { claim: token("CLAIM") };
    // A partner's end user with metadata of its own (sealed like fax metadata, with its own blind index).
    const userMetadata = { mrn: token("MRN"), clinic: token("North Clinic") };
    const userPut = await live.json<{ external_user_id: string; metadata: Record<string, string> }>(
      "/v1/external-users/patient-state-files",
      { method: "PUT", json: { name: "Dana Rivera", metadata: userMetadata } },
      201,
    );
    expect(userPut.metadata).toEqual(userMetadata);

    const sent = await test.json<Fax>("/v1/faxes", { json: { to: "+15550100001", documents: [{ content: await pdfBase64(1, "State files"), content_type: "application/pdf" }], metadata, cover_page: cover } }, 202);
    await live.json("/v1/numbers", { json: {} }, 201);
    const inbox = await live.json<{ number: string }>("/v1/numbers", { json: {} }, 201);
    const liveSent = await live.json<Fax>(
      "/v1/faxes",
      { json: { to: inbox.number, documents: [{ content: await pdfBase64(1, "Received copy"), content_type: "application/pdf" }], metadata: liveMetadata, options: { max_attempts: 1 } } },
      202,
    );
    expect((await test.waitFax(sent.id, (f) => ["delivered", "failed"].includes(f.status), 30_000)).status).toBe("delivered");
    expect((await live.waitFax(liveSent.id, (f) => ["delivered", "failed"].includes(f.status), 90_000)).status).toBe("delivered");
    const received = await live.waitReceived(new Set(), 60_000);
    expect(received).not.toBeNull();

    // Every way out gives the plaintext, the same bytes through the API and through a signed URL.
    const pdf = await test.bytes(`/v1/faxes/${sent.id}/image?format=pdf`);
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe("%PDF-");
    const link = await test.json<{ url: string }>(`/v1/faxes/${sent.id}/document`);
    expect(Buffer.compare(Buffer.from(await (await fetch(link.url)).arrayBuffer()), Buffer.from(pdf))).toBe(0);
    const tiff = await test.bytes(`/v1/faxes/${sent.id}/image?format=tiff`);
    expect([...tiff.subarray(0, 4)]).toEqual([0x49, 0x49, 0x2a, 0x00]);
    const png = await test.bytes(`/v1/faxes/${sent.id}/image?format=png&page=1`);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const preview = await test.json<{ url: string }>(`/v1/faxes/${sent.id}/pages/1`);
    expect(Buffer.compare(Buffer.from(await (await fetch(preview.url)).arrayBuffer()), Buffer.from(png))).toBe(0);
    const receivedTiff = await live.bytes(`/v1/faxes/${received!.id}/image?format=tiff`);
    expect([...receivedTiff.subarray(0, 4)]).toEqual([0x49, 0x49, 0x2a, 0x00]);
    const receivedPdf = await live.bytes(`/v1/faxes/${received!.id}/image?format=pdf`);
    expect(Buffer.from(receivedPdf.subarray(0, 5)).toString()).toBe("%PDF-");
    // The API still shows the values the state files must not.
    expect(await test.fax(sent.id)).toMatchObject({ metadata, cover_page: cover });
    expect((await test.json<{ data: Fax[] }>(`/v1/faxes?metadata[order_id]=${metadata.order_id}`)).data.map((f) => f.id)).toEqual([sent.id]);
    const users = await live.json<{ data: { external_user_id: string; metadata: Record<string, string> }[] }>(`/v1/external-users?metadata[mrn]=${userMetadata.mrn}`);
    expect(users.data.map((u) => [u.external_user_id, u.metadata])).toEqual([["patient-state-files", userMetadata]]);

    // worker-bundle/ is the built Worker (code: pdfium's wasm and pdf-lib carry these signatures), not stored data.
    const files = (await filesUnder(stateDir)).filter((f) => path.relative(stateDir, f).split(path.sep)[0] !== "worker-bundle");
    const parts = new Set(files.flatMap((f) => path.relative(stateDir, f).split(path.sep)));
    // D1, R2 (its index and its blobs) and Durable Objects are all among what is read.
    for (const store of ["d1", "r2", "do", "blobs"]) expect(parts.has(store), `${store} in ${[...parts].join(" ")}`).toBe(true);
    expect(files.filter((f) => f.endsWith(".sqlite")).length).toBeGreaterThan(3);
    const secrets = [...Object.values(metadata), ...Object.values(cover), ...Object.values(liveMetadata), ...Object.values(userMetadata)].map((v) => [v, Buffer.from(v)] as const);
    const found: string[] = [];
    for (const file of files) {
      const bytes = await readFile(file);
      for (const [name, signature] of SIGNATURES) if (bytes.includes(signature)) found.push(`${path.relative(stateDir, file)} contains ${name}`);
      for (const [value, encoded] of secrets) if (bytes.includes(encoded)) found.push(`${path.relative(stateDir, file)} contains "${value}"`);
    }
    expect(found).toEqual([]);
  }, 240_000);
});
