// Issue 13 point 10: four errors that pointed the wrong way each get an accurate code or detail.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fetchDocumentUrl } from "../../src/fax/documents";
import { assertFetchableUrl } from "../../src/lib/ssrf";
import { api, createTestAccount, expectProblem, pdfDocument, sendFax, waitForFinal } from "./helpers";
import { rejection } from "./documents/fixtures";

describe("errors that point the right way", () => {
  it("number.unavailable says the pool is taken and does not send the user to an area code (that is number.area_code_unavailable's answer)", async () => {
    const account = await createTestAccount("live");
    let res: Response;
    for (let turn = 0; (res = await api("/v1/numbers", { method: "POST", key: account.key, json: {} })).status === 201; turn++) expect(turn).toBeLessThan(10);
    const problem = await expectProblem(res, 409, "number.unavailable");
    expect(problem.detail).toMatch(new RegExp(`^Every number in the operator's pool \\(${env.LIVE_NUMBER_POOL.split(",").length}\\) is taken`));
    expect(String(problem.next)).not.toMatch(/area code/i);
  });

  it("a page past page_count is fax.page_not_found, not a document purged by retention", async () => {
    const account = await createTestAccount();
    const created = await (await sendFax(account.key, { to: "+15550100001", documents: [await pdfDocument()] })).json<{ id: string }>();
    const fax = await waitForFinal(account.key, created.id);
    expect(fax.page_count).toBe(1);
    for (const path of [`/v1/faxes/${fax.id}/pages/2`, `/v1/faxes/${fax.id}/image?format=png&page=2`]) {
      const problem = await expectProblem(await api(path, { key: account.key }), 404, "fax.page_not_found");
      expect(problem.detail, path).toBe("The fax has 1 page(s); there is no page 2.");
      expect(JSON.stringify(problem), path).not.toMatch(/retention|purged/);
    }
    expect((await api(`/v1/faxes/${fax.id}/pages/1`, { key: account.key })).status).toBe(200);
  });

  it("a document_url to a private http address is refused for its address, not for http", async () => {
    // Local mode (loopback over http allowed) and a deployment alike.
    for (const allowHttpLoopback of [true, false]) {
      expect(() => assertFetchableUrl("http://10.0.0.5/doc.pdf", { allowHttpLoopback })).toThrow("10.0.0.5 is a private address");
      expect(() => assertFetchableUrl("http://192.168.1.20:8080/doc.pdf", { allowHttpLoopback })).not.toThrow(/https/);
    }
    expect(() => assertFetchableUrl("http://example.com/doc.pdf", { allowHttpLoopback: true })).toThrow(
      "only https URLs are fetched (http only from loopback hosts, in local mode)",
    );
    const account = await createTestAccount();
    const problem = await expectProblem(await sendFax(account.key, { to: "+15550100001", document_url: "http://10.0.0.5/doc.pdf" }), 422, "document.url_refused");
    expect(problem.detail).toContain("10.0.0.5 is a private address");
  });

  it("an https loopback URL whose TLS handshake fails says so instead of 'internal error'", async () => {
    // workerd reports a failed TLS handshake (measured: https:// to a plain-http server on 127.0.0.1) as
    // exactly this opaque error; a server that speaks TLS cannot run inside this test.
    const fetcher = (async () => {
      throw new Error("internal error; reference = gnf59aq0oq3t0vc2c984u0nk");
    }) as typeof fetch;
    const error = await rejection(
      fetchDocumentUrl("https://127.0.0.1:8443/doc.pdf", { maxBytes: 1 << 20, allowHttpLoopback: true, pointer: "/document_url", fetcher }),
      "document.fetch_failed",
      "/document_url",
    );
    expect(error.detail).not.toMatch(/internal error/);
    expect(error.detail).toBe(
      "The document_url could not be reached over https: the TLS handshake with 127.0.0.1:8443 failed (no https there, or a certificate that is not trusted); a server on this machine without a trusted certificate can be given as http://127.0.0.1:8443/doc.pdf.",
    );
  });
});
