// The operator's billing CLIs (issue 16): `npm run invoice:paid` and `npm run credits:grant` send the Worker
// exactly one signed request. A local HTTP server stands in for the Worker and checks each request with the
// Standard Webhooks reference implementation, as POST /internal/billing/… does.
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SECRET = "cli-test-billing-admin-secret-0123456789";
const received: { path: string; headers: IncomingMessage["headers"]; body: string }[] = [];
let answer: { status: number; body: string } = { status: 200, body: "{}" };
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(import.meta.dirname, "../../scripts", script), ...args], { env: { ...process.env, BILLING_ADMIN_SECRET: SECRET }, timeout: 20_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The last request, verified as the Worker verifies it; returns its JSON body. */
function verifiedLast(): unknown {
  const last = received.at(-1)!;
  const headers = { "webhook-id": String(last.headers["webhook-id"]), "webhook-timestamp": String(last.headers["webhook-timestamp"]), "webhook-signature": String(last.headers["webhook-signature"]) };
  return new Webhook(Buffer.from(SECRET).toString("base64")).verify(last.body, headers);
}

describe("npm run invoice:paid", () => {
  it("posts the signed order to /internal/billing/invoices/paid and prints the answer", async () => {
    answer = { status: 200, body: '{"invoice_id":"inv_1","status":"paid","changed":true}' };
    const done = await run("invoice-paid.mjs", ["--account", "acct_1", "--invoice", "inv_1", "--note", "Wire ref 7781", "--url", `${url}/`]);
    expect(done).toMatchObject({ code: 0, stdout: '{"invoice_id":"inv_1","status":"paid","changed":true}\n' });
    expect(received.at(-1)!.path).toBe("/internal/billing/invoices/paid");
    expect(received.at(-1)!.headers["content-type"]).toBe("application/json");
    expect(verifiedLast()).toEqual({ account_id: "acct_1", mode: "live", invoice_id: "inv_1", note: "Wire ref 7781" });

    await run("invoice-paid.mjs", ["--account", "acct_1", "--invoice", "inv_2", "--test", "--url", url]);
    expect(verifiedLast()).toEqual({ account_id: "acct_1", mode: "test", invoice_id: "inv_2" });
  });

  it("exits 1 with the Worker's problem when it refuses, and 2 without an invoice", async () => {
    answer = { status: 404, body: '{"code":"billing.invoice_not_found"}' };
    const refused = await run("invoice-paid.mjs", ["--account", "acct_1", "--invoice", "inv_9", "--url", url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('404: {"code":"billing.invoice_not_found"}');
    const before = received.length;
    const usage = await run("invoice-paid.mjs", ["--account", "acct_1", "--url", url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Give --account and --invoice.");
    expect(received).toHaveLength(before);
  });
});

describe("npm run credits:grant", () => {
  it("posts the signed grant to /internal/billing/credits", async () => {
    answer = { status: 200, body: '{"credits":200}' };
    const done = await run("credits-grant.mjs", ["--account", "acct_1", "--credits", "200", "--note", "Welcome", "--url", url]);
    expect(done).toMatchObject({ code: 0, stdout: '{"credits":200}\n' });
    expect(received.at(-1)!.path).toBe("/internal/billing/credits");
    expect(verifiedLast()).toEqual({ account_id: "acct_1", mode: "live", credits: 200, description: "Welcome" });
  });
});
