// The SDK's transport against a scripted server: Idempotency-Key on POSTs kept across retries, retries on network
// errors, 429, 5xx and in-flight 409 honouring Retry-After, typed ProblemError, pagination, and file inputs.
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError, Edgefax as CoreEdgefax, ProblemError } from "../../sdk/src/index";
import { Edgefax } from "../../sdk/src/node";
import { fakeApi, json, problem } from "./fake-api";

const fax = (id: string) => ({ id, status: "queued", to: "+15550100001" });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(...args: Parameters<typeof fakeApi>) {
  const api = await fakeApi(...args);
  closers.push(api.close);
  return api;
}

describe("retries", () => {
  it("retries a POST after a 503 and a 429, waiting Retry-After, with the same Idempotency-Key each time", async () => {
    const api = await serve((_req, res, i) => {
      if (i === 0) return problem(res, 503, "service.unavailable", { "retry-after": "1" });
      if (i === 1) return problem(res, 429, "rate_limit.exceeded", { "retry-after": "0" });
      json(res, 202, fax("fax_1"));
    });
    const client = new Edgefax({ apiKey: "fx_test_k", baseUrl: api.url });
    const started = Date.now();
    const sent = await client.faxes.send({ to: "+15550100001", document_url: "https://example.com/a.pdf" });
    expect(sent.id).toBe("fax_1");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(api.requests).toHaveLength(3);
    const keys = api.requests.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^edgefax-sdk-[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(new Set(api.requests.map((r) => r.body.toString())).size).toBe(1);
    expect(api.requests[0]!.headers.authorization).toBe("Bearer fx_test_k");
  });

  it("retries after a dropped connection and after 409 idempotency.in_flight; a given key is used as is", async () => {
    const api = await serve((_req, res, i) => {
      if (i === 0) return res.socket?.destroy();
      if (i === 1) return problem(res, 409, "idempotency.in_flight", { "retry-after": "0" });
      json(res, 202, fax("fax_2"));
    });
    const client = new Edgefax({ apiKey: "fx_test_k", baseUrl: api.url });
    await expect(client.faxes.resend("fax_1", {}, { idempotencyKey: "order-7" })).resolves.toMatchObject({ id: "fax_2" });
    expect(api.requests.map((r) => r.headers["idempotency-key"])).toEqual(["order-7", "order-7", "order-7"]);
  });

  it("does not retry a 4xx problem, and throws it typed with code, next and request_id", async () => {
    const api = await serve((_req, res) => problem(res, 422, "fax.recipient.invalid"));
    const client = new Edgefax({ apiKey: "fx_test_k", baseUrl: api.url });
    const error = await client.faxes.send({ to: "12" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status: 422, code: "fax.recipient.invalid", next: "next for fax.recipient.invalid", request_id: "req_422" });
    expect(api.requests).toHaveLength(1);
  });

  it("gives up after maxRetries, with the last problem; a Retry-After longer than allowed is not waited for", async () => {
    const api = await serve((_req, res, i) => problem(res, i < 10 ? 502 : 200, "gateway.bad", i === 0 ? {} : { "retry-after": "0" }));
    const client = new Edgefax({ apiKey: "fx_test_k", baseUrl: api.url, maxRetries: 3 });
    await expect(client.faxes.get("fax_1")).rejects.toMatchObject({ status: 502, code: "gateway.bad" });
    expect(api.requests).toHaveLength(4);
    const slow = await serve((_req, res) => problem(res, 429, "rate_limit.exceeded", { "retry-after": "3600" }));
    const started = Date.now();
    await expect(new Edgefax({ apiKey: "k", baseUrl: slow.url }).faxes.get("fax_1")).rejects.toMatchObject({ code: "rate_limit.exceeded", retryAfter: 3600 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("reports a server that never answers as a ConnectionError", async () => {
    const api = await serve((_req, res) => res.socket?.destroy());
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url, maxRetries: 1 });
    await expect(client.faxes.get("fax_1")).rejects.toBeInstanceOf(ConnectionError);
    expect(api.requests).toHaveLength(2);
  });

  it("makes a problem of an error that is not problem+json", async () => {
    const api = await serve((_req, res) => (res.writeHead(404, { "request-id": "req_x" }), res.end("no")));
    await expect(new Edgefax({ apiKey: "k", baseUrl: api.url }).faxes.get("f")).rejects.toMatchObject({ status: 404, code: "http.404", request_id: "req_x" });
  });
});

describe("pagination", () => {
  it("awaits to the first page and iterates every item across pages, passing cursor and filters", async () => {
    const api = await serve((req, res) => {
      const url = new URL(req.url, "http://x");
      const cursor = url.searchParams.get("cursor");
      const page = cursor === null ? 0 : Number(cursor);
      json(res, 200, { data: [fax(`fax_${page}a`), fax(`fax_${page}b`)], has_more: page < 2, next_cursor: page < 2 ? String(page + 1) : null });
    });
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url });
    const first = await client.faxes.list({ status: "delivered", limit: 2, metadata: { order: "A-1" } });
    expect(first.data.map((f) => f.id)).toEqual(["fax_0a", "fax_0b"]);
    const all: string[] = [];
    for await (const item of client.faxes.list({ status: "delivered", limit: 2 })) all.push(item.id);
    expect(all).toEqual(["fax_0a", "fax_0b", "fax_1a", "fax_1b", "fax_2a", "fax_2b"]);
    expect(await client.faxes.list().toArray(3)).toHaveLength(3);
    expect(api.requests[0]!.url).toBe("/v1/faxes?status=delivered&limit=2&metadata%5Border%5D=A-1");
    expect(api.requests[2]!.url).toBe("/v1/faxes?status=delivered&limit=2&cursor=1");
  });
});

describe("file inputs", () => {
  it("sends paths, Blobs, bytes, web streams and Node streams as multipart parts with names and sniffed types", async () => {
    const api = await serve((_req, res) => json(res, 202, fax("fax_f")));
    const dir = await mkdtemp(join(tmpdir(), "edgefax-sdk-files-"));
    const pdf = new TextEncoder().encode("%PDF-1.7\n%fake\n");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    await writeFile(join(dir, "letter.pdf"), pdf);
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url });
    await client.faxes.send({
      to: "+15550100001",
      cover_page: { subject: "Referral" },
      header_text: "ACME",
      files: [
        join(dir, "letter.pdf"),
        new Blob([png], { type: "image/png" }),
        { data: pdf, filename: "bytes.pdf" },
        new Blob([pdf]).stream(),
        Readable.from([Buffer.from(png)]),
      ],
    });
    const request = api.requests[0]!;
    const form = await new Response(request.body, { headers: { "content-type": request.headers["content-type"]! } }).formData();
    expect(form.get("to")).toBe("+15550100001");
    expect(form.get("header_text")).toBe("ACME");
    expect(JSON.parse(form.get("cover_page") as string)).toEqual({ subject: "Referral" });
    const files = form.getAll("file") as unknown as File[];
    expect(files.map((f) => [f.name, f.type, f.size])).toEqual([
      ["letter.pdf", "application/pdf", pdf.length],
      ["document-2.png", "image/png", png.length],
      ["bytes.pdf", "application/pdf", pdf.length],
      ["document-4.pdf", "application/pdf", pdf.length],
      ["document-5.png", "image/png", png.length],
    ]);
    expect(new Uint8Array(await files[0]!.arrayBuffer())).toEqual(pdf);
  });

  it("sends the same bytes for the same Idempotency-Key (the API fingerprints the body), other bytes for another", async () => {
    const api = await serve((_req, res) => json(res, 202, fax("fax_f")));
    const client = new Edgefax({ apiKey: "k", baseUrl: api.url });
    const params = { to: "+15550100001", files: [new Blob(["%PDF-1.7\n"])], metadata: { a: "b" } };
    await client.faxes.send(params, { idempotencyKey: "same" });
    await client.faxes.send(params, { idempotencyKey: "same" });
    await client.faxes.send(params);
    const [first, second, third] = api.requests;
    expect(second!.body.equals(first!.body)).toBe(true);
    expect(second!.headers["content-type"]).toBe(first!.headers["content-type"]);
    expect(third!.headers["content-type"]).not.toBe(first!.headers["content-type"]);
  });

  it("refuses a path outside Node's entry (the core has no file system)", async () => {
    const client = new CoreEdgefax({ apiKey: "k", baseUrl: "http://127.0.0.1:9" });
    await expect(client.faxes.send({ to: "+15550100001", files: ["a.pdf"] })).rejects.toThrow(/File paths work in Node/);
  });
});
