// `npm run -s documents:rewrap` (issue 17 point 4) against a stand-in Worker that checks every request the
// command sends: signed with SIGNING_SECRET, paged by cursor, and the exit code the README promises.
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { verifySignedHeaders } from "../../src/lib/signature";
import type { ResealPage } from "../../src/db/fax-reseal";
import type { RewrapPage } from "../../src/storage/documents";

const SECRET = "0123456789abcdef0123456789abcdef";
let server: Server | undefined;

afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A Worker that answers `pages` in order and records what it was sent (and whether the signature held). */
async function worker(pages: Array<RewrapPage | ResealPage>): Promise<{ url: string; requests: Array<{ path: string; body: Record<string, unknown>; signed: boolean }> }> {
  const requests: Array<{ path: string; body: Record<string, unknown>; signed: boolean }> = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const signed = await verifySignedHeaders(SECRET, (name) => req.headers[name] as string | undefined, body);
      requests.push({ path: req.url ?? "", body: JSON.parse(body), signed });
      const page = pages[requests.length - 1];
      res.writeHead(signed && page ? 200 : 401, { "content-type": "application/json" });
      res.end(JSON.stringify(page ?? { code: "auth.invalid" }));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests };
}

function rewrap(args: string[], secret = SECRET): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["scripts/documents-rewrap.mjs", ...args], { env: { ...process.env, SIGNING_SECRET: secret } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

describe("npm run documents:rewrap", () => {
  it("pages through the Worker with signed requests until the cursor ends, and sums what moved", async () => {
    const { url, requests } = await worker([
      { scanned: 200, rewrapped: 150, sealed: 3, unavailable: 0, cursor: "c1" },
      { scanned: 17, rewrapped: 10, sealed: 0, unavailable: 0, cursor: null },
    ]);
    const result = await rewrap(["--url", url, "--prefix", "faxes/acct_1/"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("OK: 217 objects scanned, 160 re-wrapped under the current key, 3 stored before encryption encrypted");
    expect(requests).toEqual([
      { path: "/internal/documents/rewrap", body: { cursor: null, limit: 200, prefix: "faxes/acct_1/" }, signed: true },
      { path: "/internal/documents/rewrap", body: { cursor: "c1", limit: 200, prefix: "faxes/acct_1/" }, signed: true },
    ]);
  });

  it("without --prefix, then re-seals D1 (faxes, webhook deliveries, external users) and Durable Objects (idempotent replies, stream logs) page by page, and sums those too", async () => {
    const { url, requests } = await worker([
      { scanned: 4, rewrapped: 4, sealed: 0, unavailable: 0, cursor: null },
      { scanned: 200, resealed: 120, unavailable: 0, cursor: "fax_2", objects: 150 },
      { scanned: 3, resealed: 1, unavailable: 0, cursor: null, objects: 2 },
      { scanned: 9, resealed: 9, unavailable: 0, cursor: null },
      { scanned: 5, resealed: 2, unavailable: 0, cursor: null },
      { scanned: 200, resealed: 7, unavailable: 0, cursor: "200" },
      { scanned: 1, resealed: 1, unavailable: 0, cursor: null },
      { scanned: 3, resealed: 40, unavailable: 0, cursor: null },
    ]);
    const result = await rewrap(["--url", url]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("OK: 4 objects scanned, 4 re-wrapped under the current key, 0 stored before encryption encrypted; in D1, 121 faxes and 9 webhook deliveries and 2 external users, and 152 faxes' own storage, 8 Idempotency-Key replies and 40 event-stream log entries, sealed under the current key");
    expect(requests).toEqual([
      { path: "/internal/documents/rewrap", body: { cursor: null, limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "faxes", cursor: null, limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "faxes", cursor: "fax_2", limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "deliveries", cursor: null, limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "external_users", cursor: null, limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "idempotency", cursor: null, limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "idempotency", cursor: "200", limit: 200 }, signed: true },
      { path: "/internal/documents/reseal", body: { table: "streams", cursor: null, limit: 200 }, signed: true },
    ]);
  });

  it("exits 1 when D1 rows stay under a key the Worker no longer has", async () => {
    const { url } = await worker([
      { scanned: 0, rewrapped: 0, sealed: 0, unavailable: 0, cursor: null },
      { scanned: 2, resealed: 0, unavailable: 2, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
    ]);
    const result = await rewrap(["--url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("0 objects and 2 D1 rows are under a key that is no longer in DOCUMENT_ENCRYPTION_KEY");
  });

  it("exits 1 and says which objects stay behind when some are under a key the Worker no longer has", async () => {
    const { url } = await worker([
      { scanned: 5, rewrapped: 2, sealed: 0, unavailable: 3, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
      { scanned: 0, resealed: 0, unavailable: 0, cursor: null },
    ]);
    const result = await rewrap(["--url", url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("3 objects and 0 D1 rows are under a key that is no longer in DOCUMENT_ENCRYPTION_KEY");
  });

  it("exits 1 with the Worker's answer when the signature is refused", async () => {
    const { url, requests } = await worker([{ scanned: 0, rewrapped: 0, sealed: 0, unavailable: 0, cursor: null }]);
    const result = await rewrap(["--url", url], "not-the-secret");
    expect(requests[0]!.signed).toBe(false);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("401");
  });
});
