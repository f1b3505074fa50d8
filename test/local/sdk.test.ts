/**
 * The SDK and the compiled `edgefax` CLI against a real `npm start`: send (a path and a Blob), watch to delivery,
 * pagination, typed errors, idempotent replays, retries through a proxy that fails first, the CLI's
 * `send --watch` output on a 3-page fax, and `webhooks listen --forward` re-signing the platform's events.
 */
import { spawn } from "node:child_process";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemError, type FaxEvent } from "../../sdk/src/index";
import { Edgefax } from "../../sdk/src/node";
import { buildSdk, cli, CLI } from "../sdk/build";
import { createKey, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "./server";

async function textPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) doc.addPage([612, 792]).drawText(`Referral, page ${i + 1} of ${pages}`, { x: 72, y: 700, size: 18, font });
  return doc.save();
}

/** Forwards to the platform, but answers the first `failures` requests with 503 + Retry-After: 0 (or drops them). */
function failingProxy(target: string, failures: number, mode: "503" | "drop") {
  let seen = 0;
  const server: Server = createServer((req, res) => {
    if (seen++ < failures) {
      if (mode === "drop") return req.socket.destroy();
      res.writeHead(503, { "retry-after": "0", "content-type": "text/plain" });
      return res.end("warming up");
    }
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  return {
    server,
    count: () => seen,
    start: () => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A webhook receiver on 127.0.0.1 that keeps every request (answering 204). */
async function hookReceiver() {
  const requests: { body: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    requests.push({ body, headers: req.headers });
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    requests,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe("the SDK and CLI against npm start", () => {
  let stateDir: string;
  let platform: LocalPlatform;
  let key: string;
  let client: Edgefax;
  let dir: string;

  beforeAll(async () => {
    stateDir = await makeStateDir("sdk");
    dir = await mkdtemp(join(tmpdir(), "edgefax-sdk-local-"));
    await writeFile(join(dir, "three.pdf"), await textPdf(3));
    [platform] = await Promise.all([startLocalPlatform({ stateDir, vars: { TIME_COMPRESSION: "300" } }), buildSdk()]);
    key = await createKey(stateDir);
    client = new Edgefax({ apiKey: key, baseUrl: platform.url });
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    await removeStateDir(stateDir);
    await rm(dir, { recursive: true, force: true });
  });

  it("sends a path and a Blob, watches the fax to delivery page by page, and reads it back", async () => {
    const blob = new Blob([await textPdf(1)], { type: "application/pdf" });
    const fax = await client.faxes.send({ to: "+15550100001", files: [join(dir, "three.pdf"), blob], header_text: "SDK test" });
    expect(fax).toMatchObject({ status: "queued", page_count: 4, to: "+15550100001" });
    const events: FaxEvent[] = [];
    for await (const event of client.faxes.watch(fax.id)) events.push(event);
    expect(events.map((e) => e.type)).toEqual(["fax.queued", "fax.sending", "fax.page_sent", "fax.page_sent", "fax.page_sent", "fax.page_sent", "fax.delivered"]);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(await client.faxes.get(fax.id)).toMatchObject({ status: "delivered", pages_sent: 4 });
    expect((await client.faxes.events(fax.id)).map((e) => e.id)).toEqual(events.map((e) => e.id));
    const document = await client.faxes.document(fax.id);
    expect((await fetch(document.url)).headers.get("content-type")).toBe("application/pdf");
  }, 90_000);

  it("pages through every fax with an async iterator", async () => {
    for (let i = 0; i < 3; i++) await client.faxes.send({ to: "+15550100001", files: [join(dir, "three.pdf")], metadata: { batch: "paging" } });
    const first = await client.faxes.list({ limit: 2, metadata: { batch: "paging" } });
    expect([first.data.length, first.has_more]).toEqual([2, true]);
    const ids: string[] = [];
    for await (const fax of client.faxes.list({ limit: 1, metadata: { batch: "paging" } })) ids.push(fax.id);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  }, 60_000);

  it("throws typed problems with code, next and request_id", async () => {
    const invalid = await client.faxes.send({ to: "12", files: [join(dir, "three.pdf")] }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ProblemError);
    expect(invalid).toMatchObject({ status: 422, code: "fax.recipient.invalid", next: expect.stringContaining("E.164") });
    expect((invalid as ProblemError).request_id).toMatch(/^req_/);
    await expect(client.faxes.get("fax_01jd8x6r3q5v7w9y0a2b4c6d8e")).rejects.toMatchObject({ status: 404, code: "fax.not_found" });
    const unauthorized = new Edgefax({ apiKey: "fx_test_wrong", baseUrl: platform.url });
    await expect(unauthorized.faxes.list()).rejects.toMatchObject({ status: 401 });
  }, 30_000);

  it("replays a send with the same Idempotency-Key instead of sending twice", async () => {
    const params = { to: "+15550100001", files: [join(dir, "three.pdf")] };
    const first = await client.faxes.send(params, { idempotencyKey: "sdk-local-1" });
    const again = await client.faxes.send(params, { idempotencyKey: "sdk-local-1" });
    expect(again.id).toBe(first.id);
  }, 30_000);

  it("retries through a server that fails first (503, then a dropped connection) and sends the fax once", async () => {
    for (const mode of ["503", "drop"] as const) {
      const proxy = failingProxy(platform.url, 2, mode);
      const url = await proxy.start();
      try {
        const flaky = new Edgefax({ apiKey: key, baseUrl: url, maxRetries: 3 });
        const fax = await flaky.faxes.send({ to: "+15550100001", files: [join(dir, "three.pdf")], metadata: { retry: mode } });
        expect(proxy.count()).toBe(3);
        const sent = await client.faxes.list({ metadata: { retry: mode } }).toArray();
        expect(sent.map((f) => f.id)).toEqual([fax.id]);
      } finally {
        await proxy.stop();
      }
    }
  }, 60_000);

  it("reads the account: credits, bundles, transactions, settings and API keys", async () => {
    const balance = await client.balance.get();
    expect(typeof balance.credits).toBe("number");
    expect((await client.balance.bundles()).length).toBeGreaterThan(0);
    expect(Array.isArray((await client.balance.transactions({ limit: 5 })).data)).toBe(true);
    expect(await client.settings.get()).toBeTruthy();
    const keys = await client.apiKeys.list().toArray();
    expect(keys.length).toBeGreaterThan(0);
    expect(await client.billing.usage()).toBeTruthy();
    expect(Array.isArray((await client.billing.invoices()).data)).toBe(true);
  }, 30_000);

  it("manages a partner's external users: put (twice, the same user), get, list, inbox, delete", async () => {
    const created = await client.externalUsers.put("clinic-42", { name: "Dr. Rivera", metadata: { plan: "pro" } });
    const again = await client.externalUsers.put("clinic-42", { name: "Dr. Rivera", metadata: { plan: "pro" } });
    expect(again).toMatchObject({ external_user_id: "clinic-42", name: "Dr. Rivera" });
    expect(again.external_user_id).toBe(created.external_user_id);
    expect(await client.externalUsers.get("clinic-42")).toMatchObject({ name: "Dr. Rivera" });
    expect((await client.externalUsers.list().toArray()).map((u) => u.external_user_id)).toContain("clinic-42");
    expect((await client.externalUsers.inbox("clinic-42")).data).toEqual([]);
    await client.externalUsers.delete("clinic-42");
    await expect(client.externalUsers.get("clinic-42")).rejects.toMatchObject({ status: 404 });
  }, 30_000);

  it("edgefax send --watch shows a 3-page fax go out and exits 0", async () => {
    const result = await cli(["send", join(dir, "three.pdf"), "--to", "+15550100001", "--watch"], { EDGEFAX_API_KEY: key, EDGEFAX_BASE_URL: platform.url });
    const lines = result.stdout.trim().split("\n");
    const id = /^(fax_\w+): 3 pages to \+15550100001$/.exec(lines[0]!)?.[1];
    expect(id).toBeTruthy();
    expect(lines.slice(1)).toEqual([
      `${id} queued; rendering`,
      "dialling +15550100001 (attempt 1 of 3)",
      "page 1/3 sent",
      "page 2/3 sent",
      "page 3/3 sent",
      'delivered: 3/3 pages to "SIMULATED"',
    ]);
    expect(result.code).toBe(0);
    const failed = await cli(["send", join(dir, "three.pdf"), "--to", "+15550100008", "--watch"], { EDGEFAX_API_KEY: key, EDGEFAX_BASE_URL: platform.url });
    expect(failed.stdout.trim().split("\n").at(-1)).toMatch(/^failed after 0\/3 pages: fax\.not_a_fax: .+; T\.30: .+$/);
    expect(failed.code).toBe(1);
  }, 90_000);

  it("edgefax webhooks listen --forward re-signs the platform's events for a local receiver, as its webhooks carry them", async () => {
    // The platform's own webhook endpoint, to compare with, and the developer's local handler the CLI forwards to.
    const platformHooks = await hookReceiver();
    const local = await hookReceiver();
    const endpoint = await client.webhooks.create({ url: platformHooks.url });
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("EDGEFAX_"))) as NodeJS.ProcessEnv;
    const listener = spawn(process.execPath, [CLI, "webhooks", "listen", "--forward", local.url, "--secret", secret], {
      env: { ...clean, EDGEFAX_API_KEY: key, EDGEFAX_BASE_URL: platform.url },
    });
    let stdout = "";
    let stderr = "";
    listener.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    listener.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number>((resolve) => listener.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
    const faxOf = (r: { body: string }) => (JSON.parse(r.body) as { data: { fax?: { id: string } } }).data.fax?.id;
    try {
      // The stream carries events from the moment it connects: a first fax shows it is listening ...
      const first = await client.faxes.send({ to: "+15550100001", files: [join(dir, "three.pdf")], metadata: { listen: "first" } });
      await until("a forwarded event of the first fax", () => local.requests.some((r) => faxOf(r) === first.id));
      // ... so every event of the second reaches the local handler, once each, in order.
      const second = await client.faxes.send({ to: "+15550100001", files: [join(dir, "three.pdf")], metadata: { listen: "second" } });
      const delivered = (list: { body: string }[]) => list.some((r) => faxOf(r) === second.id && JSON.parse(r.body).type === "fax.delivered");
      await until("fax.delivered of the second fax, forwarded and by webhook", () => delivered(local.requests) && delivered(platformHooks.requests));
      const forwarded = local.requests.filter((r) => faxOf(r) === second.id);
      const webhooks = platformHooks.requests.filter((r) => faxOf(r) === second.id);
      expect(forwarded.map((r) => JSON.parse(r.body).type)).toEqual(["fax.queued", "fax.sending", "fax.page_sent", "fax.page_sent", "fax.page_sent", "fax.delivered"]);
      // The same envelopes as the platform's signed deliveries, each re-signed with the listener's secret.
      const platformVerifier = new Webhook(endpoint.secret);
      const localVerifier = new Webhook(secret);
      const byId = new Map(webhooks.map((r) => platformVerifier.verify(r.body, r.headers as Record<string, string>) as FaxEvent).map((event) => [event.id, event]));
      for (const message of forwarded) {
        const event = localVerifier.verify(message.body, message.headers as Record<string, string>) as FaxEvent;
        expect(message.headers["webhook-id"]).toBe(event.id);
        expect(event).toEqual(byId.get(event.id));
        expect(() => platformVerifier.verify(message.body, message.headers as Record<string, string>)).toThrow();
      }
      expect(byId.size).toBe(forwarded.length);
      expect(stdout).toMatch(new RegExp(`fax\\.delivered\\s+${forwarded.at(-1)!.headers["webhook-id"]}  → 204`));
      expect(stderr).toContain(`signed with ${secret}`);
    } finally {
      listener.kill("SIGINT");
      expect(await exited).toBe(130);
      await Promise.all([platformHooks.stop(), local.stop()]);
    }
  }, 120_000);
});
