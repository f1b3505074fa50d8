/**
 * Issue 13 point 1: a body over the limit is a 413 problem+json whatever carries it: refused by its
 * Content-Length before a byte is read, or counted as it streams when it has none (chunked).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { settings as s0 } from "../../src/config";
const settings = (e: Env) => ({ maxRequestBytes: Math.ceil(s0(e).maxDocumentBytes * 1.4) + 64 * 1024 });
import { api, createTestAccount, expectProblem } from "./helpers";

const LIMIT = settings(env).maxRequestBytes;

/** A body of `total` bytes in 1 MiB chunks, sent without a Content-Length; counts what the Worker read. */
function streamedBody(prefix: string, total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  const head = new TextEncoder().encode(prefix);
  const filler = new Uint8Array(1 << 20).fill(0x41);
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const chunk = sent === 0 ? head : filler.subarray(0, Math.min(filler.length, total - sent));
      sent += chunk.length;
      controller.enqueue(chunk);
    },
  });
  return { body, pulled: () => sent };
}

describe("request bodies over the limit", () => {
  it("a JSON fax without Content-Length (chunked) is counted and refused with request.too_large", async () => {
    const account = await createTestAccount();
    const { body, pulled } = streamedBody('{"to":"+15550100001","documents":[{"content_type":"application/pdf","content":"', LIMIT + 3 * (1 << 20));
    const res = await api("/v1/faxes", { method: "POST", key: account.key, headers: { "content-type": "application/json" }, body });
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = await expectProblem(res, 413, "request.too_large");
    expect(problem.detail).toContain(String(LIMIT));
    // Refused once past the limit, not after reading everything.
    expect(pulled()).toBeLessThan(LIMIT + 3 * (1 << 20));
  });

  it("a multipart fax without Content-Length is refused the same way", async () => {
    const account = await createTestAccount();
    const boundary = "edgefax-boundary";
    const prefix = `--${boundary}\r\ncontent-disposition: form-data; name="to"\r\n\r\n+15550100001\r\n--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
    const { body, pulled } = streamedBody(prefix, LIMIT + 3 * (1 << 20));
    const res = await api("/v1/faxes", { method: "POST", key: account.key, headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body });
    await expectProblem(res, 413, "request.too_large");
    expect(pulled()).toBeLessThan(LIMIT + 3 * (1 << 20));
  });

  it("any other /v1 JSON body is bounded too: refused by Content-Length before reading", async () => {
    const account = await createTestAccount();
    const { body, pulled } = streamedBody('{"url":"https://example.com/hook","description":"', LIMIT + 2 * (1 << 20));
    const res = await api("/v1/webhooks", {
      method: "POST",
      key: account.key,
      headers: { "content-type": "application/json", "content-length": String(LIMIT + 2 * (1 << 20)) },
      body,
      duplex: "half",
    } as RequestInit);
    const problem = await expectProblem(res, 413, "request.too_large");
    expect(problem.detail).toBe(`The body is ${LIMIT + 2 * (1 << 20)} bytes; the limit is ${LIMIT}.`);
    expect(pulled()).toBeLessThan(LIMIT);
  });
});
