import { describe, expect, it } from "vitest";
import { assertFetchableUrl, fetchDocumentUrl, isForbiddenHost } from "../../../src/fax/documents";
import { makePdf, rejection } from "./fixtures";

/**
 * The remote server cannot run here, so a recording fetcher stands in for it; the URL guard, redirect
 * handling, size limit and timeout under test are the real code.
 */
function fakeServer(routes: Record<string, () => Response>) {
  const requests: { url: string; redirect: RequestInit["redirect"] }[] = [];
  const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    requests.push({ url, redirect: init?.redirect });
    const route = routes[url];
    return route ? route() : new Response("not found", { status: 404 });
  }) as typeof fetch;
  return { fetcher, requests };
}

const OPTS = { maxBytes: 64 * 1024, allowHttpLoopback: false, pointer: "/document_url" };

const FORBIDDEN_URLS = [
  "https://127.0.0.1/doc.pdf",
  "https://127.8.9.10/doc.pdf",
  "https://10.0.0.1/doc.pdf",
  "https://172.16.0.1/doc.pdf",
  "https://172.31.255.255/doc.pdf",
  "https://192.168.1.1/doc.pdf",
  "https://169.254.169.254/latest/meta-data/",
  "https://169.254.1.1/",
  "https://0.0.0.0/",
  "https://100.64.0.1/",
  "https://100.127.255.254/",
  "https://[::1]/",
  "https://[::]/",
  "https://[fc00::1]/",
  "https://[fd12:3456::1]/",
  "https://[fe80::1]/",
  "https://[::ffff:127.0.0.1]/",
  "https://[::ffff:10.0.0.1]/",
  "https://[::ffff:a9fe:a9fe]/",
  "https://2130706433/",
  "https://0x7f.1/",
  "https://0177.0.0.1/",
  "https://0x7f000001/",
  "https://127.1/",
  "https://localhost/",
  "https://LOCALHOST./",
  "https://files.localhost/",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://intranet/",
];

describe("isForbiddenHost (RFC 6890 special-purpose addresses, reserved names)", () => {
  it("refuses raw hostnames in every spelling", () => {
    for (const host of ["127.0.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "017700000001", "10.1.2.3", "192.168.0.1", "172.20.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "[::1]", "::", "fc00::1", "fe80::1%eth0", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:192.168.0.1", "localhost", "a.b.localhost", "metadata.google.internal", "224.0.0.1", "255.255.255.255"]) {
      expect(isForbiddenHost(host), host).toBe(true);
    }
  });

  it("lets public hosts through", () => {
    for (const host of ["example.com", "files.example.org", "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "[2001:4860:4860::8888]", "::ffff:8.8.8.8"]) {
      expect(isForbiddenHost(host), host).toBe(false);
    }
  });

  it("assertFetchableUrl wants https, except loopback when allowed for local development", () => {
    expect(() => assertFetchableUrl("http://example.com/a.pdf")).toThrow(/https/);
    expect(() => assertFetchableUrl("ftp://example.com/a.pdf")).toThrow(/ftp/);
    expect(() => assertFetchableUrl("file:///etc/passwd")).toThrow(/file/);
    expect(assertFetchableUrl("https://example.com/a.pdf").hostname).toBe("example.com");
    expect(() => assertFetchableUrl("http://127.0.0.1:8787/a.pdf")).toThrow();
    expect(assertFetchableUrl("http://127.0.0.1:8787/a.pdf", { allowHttpLoopback: true }).port).toBe("8787");
    expect(assertFetchableUrl("http://localhost:8787/a.pdf", { allowHttpLoopback: true }).hostname).toBe("localhost");
    expect(() => assertFetchableUrl("http://10.0.0.1/a.pdf", { allowHttpLoopback: true })).toThrow();
    expect(() => assertFetchableUrl("http://example.com/a.pdf", { allowHttpLoopback: true })).toThrow(/https/);
  });
});

describe("fetchDocumentUrl", () => {
  it("refuses every forbidden host form without sending a request", async () => {
    const { fetcher, requests } = fakeServer({});
    for (const url of FORBIDDEN_URLS) {
      const error = await rejection(fetchDocumentUrl(url, { ...OPTS, fetcher }), "document.url_refused", "/document_url");
      expect(error.detail, url).toMatch(/not allowed/);
    }
    await rejection(fetchDocumentUrl("http://example.com/doc.pdf", { ...OPTS, fetcher }), "document.url_refused");
    await rejection(fetchDocumentUrl("not a url", { ...OPTS, fetcher }), "document.url_refused");
    expect(requests).toEqual([]);
  });

  it("fetches a public https URL, with the type from the header and the name from Content-Disposition", async () => {
    const pdf = await makePdf(1, [612, 792]);
    const { fetcher, requests } = fakeServer({
      "https://files.example.com/a/report.pdf": () =>
        new Response(pdf, { headers: { "content-type": "application/pdf; charset=binary", "content-disposition": 'attachment; filename="Q1 report.pdf"' } }),
    });
    const doc = await fetchDocumentUrl("https://files.example.com/a/report.pdf", { ...OPTS, fetcher });
    expect(doc.bytes).toEqual(pdf);
    expect(doc.contentType).toBe("application/pdf; charset=binary");
    expect(doc.filename).toBe("Q1 report.pdf");
    expect(doc.pointer).toBe("/document_url");
    expect(requests).toEqual([{ url: "https://files.example.com/a/report.pdf", redirect: "manual" }]);
  });

  it("follows a redirect to another public host, re-checking it", async () => {
    const { fetcher, requests } = fakeServer({
      "https://short.example/x": () => new Response(null, { status: 302, headers: { location: "https://cdn.example.com/files/scan.png" } }),
      "https://cdn.example.com/files/scan.png": () => new Response(new Uint8Array([1, 2, 3]), { headers: { "content-type": "image/png" } }),
    });
    const doc = await fetchDocumentUrl("https://short.example/x", { ...OPTS, fetcher });
    expect(doc.bytes).toEqual(new Uint8Array([1, 2, 3]));
    expect(doc.filename).toBe("scan.png");
    expect(requests.map((r) => r.url)).toEqual(["https://short.example/x", "https://cdn.example.com/files/scan.png"]);
  });

  it("refuses a redirect to a private host, never requesting it", async () => {
    for (const location of ["https://169.254.169.254/latest/meta-data/", "https://[::ffff:10.0.0.1]/", "http://cdn.example.com/x.pdf", "https://2130706433/"]) {
      const { fetcher, requests } = fakeServer({
        "https://evil.example/doc.pdf": () => new Response(null, { status: 301, headers: { location } }),
      });
      const error = await rejection(fetchDocumentUrl("https://evil.example/doc.pdf", { ...OPTS, fetcher }), "document.url_refused", "/document_url");
      expect(error.detail).toMatch(/redirected/);
      expect(requests.map((r) => r.url)).toEqual(["https://evil.example/doc.pdf"]);
    }
  });

  it("gives up after 3 redirects", async () => {
    const { fetcher, requests } = fakeServer(
      Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`https://loop.example/${i}`, () => new Response(null, { status: 307, headers: { location: `/${i + 1}` } })])),
    );
    const error = await rejection(fetchDocumentUrl("https://loop.example/0", { ...OPTS, fetcher }), "document.fetch_failed");
    expect(error.detail).toMatch(/more than 3/);
    expect(requests).toHaveLength(4);
  });

  it("reports a non-200 answer with its status", async () => {
    const { fetcher } = fakeServer({ "https://files.example.com/gone.pdf": () => new Response("gone", { status: 410, statusText: "Gone" }) });
    const error = await rejection(fetchDocumentUrl("https://files.example.com/gone.pdf", { ...OPTS, fetcher }), "document.fetch_failed", "/document_url");
    expect(error.detail).toContain("410");
    const missing = await rejection(fetchDocumentUrl("https://files.example.com/nothing.pdf", { ...OPTS, fetcher }), "document.fetch_failed");
    expect(missing.detail).toContain("404");
  });

  it("aborts a body that grows past maxBytes, even without Content-Length", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { fetcher } = fakeServer({ "https://files.example.com/huge.pdf": () => new Response(endless, { headers: { "content-type": "application/pdf" } }) });
    const error = await rejection(fetchDocumentUrl("https://files.example.com/huge.pdf", { ...OPTS, fetcher }), "document.too_large", "/document_url");
    expect(error.detail).toContain("64 KiB");
    expect(cancelled).toBe(true);
    // 64 KiB in 16 KiB chunks: refused on the fifth chunk, not after reading everything.
    expect(pulled).toBeLessThanOrEqual(6);
  });

  it("refuses at once when Content-Length is over maxBytes", async () => {
    const { fetcher } = fakeServer({
      "https://files.example.com/big.pdf": () => new Response("x", { headers: { "content-length": String(10 * 1024 * 1024) } }),
    });
    const error = await rejection(fetchDocumentUrl("https://files.example.com/big.pdf", { ...OPTS, fetcher }), "document.too_large");
    expect(error.detail).toContain("10 MiB");
  });

  it("times out a server that never answers", async () => {
    const hanging = ((_input: RequestInfo | URL, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)))) as typeof fetch;
    const error = await rejection(fetchDocumentUrl("https://slow.example/doc.pdf", { ...OPTS, fetcher: hanging, timeoutMs: 50 }), "document.fetch_failed");
    expect(error.detail).toMatch(/within 0.05 s/);
  });

  it("reports a network failure as fetch_failed", async () => {
    const failing = (async () => {
      throw new TypeError("Network connection lost.");
    }) as typeof fetch;
    const error = await rejection(fetchDocumentUrl("https://files.example.com/a.pdf", { ...OPTS, fetcher: failing }), "document.fetch_failed");
    expect(error.detail).toContain("Network connection lost");
  });
});
