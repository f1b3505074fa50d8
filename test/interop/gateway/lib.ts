/**
 * Plumbing for the gateway end-to-end suite: the API as a live account sees it, PDFs to send, a
 * webhook receiver on 127.0.0.1, the gateway service as its own process, and SIPp on a chosen port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PDFDocument, StandardFonts, rgb } from "pdf-lib";
import { Webhook } from "standardwebhooks";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const SCENARIOS = path.join(ROOT, "test", "interop", "t38", "scenarios");

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Fax {
  id: string;
  status: string;
  direction: string;
  from: string;
  to: string;
  page_count: number;
  pages_sent: number;
  remote_ident: string | null;
  error: { code: string; retryable: boolean; detail: string; t30_result: string | null } | null;
  last_error: { code: string; retryable: boolean; detail: string; t30_result: string | null } | null;
  created_at: string;
  completed_at: string | null;
}

export class Account {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async call(pathname: string, init: { method?: string; json?: unknown } = {}): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (init.json !== undefined) headers["content-type"] = "application/json";
    return fetch(`${this.baseUrl}${pathname}`, {
      method: init.method ?? (init.json !== undefined ? "POST" : "GET"),
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
      signal: AbortSignal.timeout(20_000),
    });
  }

  async json<T>(pathname: string, init: { method?: string; json?: unknown } = {}, expected = 200): Promise<T> {
    const res = await this.call(pathname, init);
    const text = await res.text();
    if (res.status !== expected) throw new Error(`${init.method ?? "GET"} ${pathname}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  fax(id: string): Promise<Fax> {
    return this.json<Fax>(`/v1/faxes/${id}`);
  }

  async bytes(pathname: string): Promise<Uint8Array> {
    const res = await this.call(pathname);
    if (res.status !== 200) throw new Error(`GET ${pathname}: ${res.status} ${await res.text()}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  async received(): Promise<Fax[]> {
    return (await this.json<{ data: Fax[] }>("/v1/faxes/received?limit=100")).data;
  }

  /** Polls GET /v1/faxes/{id} until `done` holds or `ms` pass; returns the last read. */
  async waitFax(id: string, done: (f: Fax) => boolean, ms: number): Promise<Fax> {
    const deadline = Date.now() + ms;
    let fax = await this.fax(id);
    while (!done(fax) && Date.now() < deadline) {
      await sleep(500);
      fax = await this.fax(id);
    }
    return fax;
  }

  /** Polls the received list until a fax not in `known` is there. */
  async waitReceived(known: Set<string>, ms: number): Promise<Fax | null> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const fresh = (await this.received()).find((f) => !known.has(f.id));
      if (fresh) return fresh;
      await sleep(500);
    }
    return null;
  }
}

/** A PDF of `pages` pages, each with its own text and shapes. */
export async function pdfBase64(pages: number, title: string): Promise<string> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let n = 1; n <= pages; n++) {
    const page = doc.addPage([612, 792]);
    page.drawText(`${title}: page ${n} of ${pages}`, { x: 72, y: 700, size: 22, font });
    for (let i = 0; i < 12; i++) page.drawText(`Line ${i + 1}: the quick brown fox jumps over the lazy dog ${n * 100 + i}`, { x: 72, y: 640 - i * 24, size: 12, font });
    page.drawRectangle({ x: 72, y: 120 + n * 10, width: 200 + n * 40, height: 80, borderColor: rgb(0, 0, 0), borderWidth: 3 });
  }
  return Buffer.from(await doc.save()).toString("base64");
}

export interface ReceivedHook {
  type: string;
  faxId: string | undefined;
  /** The fax (event.data.fax) when the event carries one, else event.data. */
  data: Record<string, unknown>;
  /** event.data as sent (fax.received's ocr_text, fax.extracted's extracted_data). */
  eventData: Record<string, unknown>;
  verified: boolean;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  hooks: ReceivedHook[];
  /** Verifies deliveries with this account's endpoint secret (standardwebhooks, the reference library). */
  addSecret(secret: string): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const secrets: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const verified = secrets.some((s) => {
        try {
          new Webhook(s).verify(body, headers);
          return true;
        } catch {
          return false;
        }
      });
      const event = JSON.parse(body) as { type: string; data: Record<string, unknown> };
      const data = (event.data?.fax as Record<string, unknown> | undefined) ?? event.data ?? {};
      hooks.push({ type: event.type, faxId: typeof data.id === "string" ? data.id : undefined, data, eventData: event.data ?? {}, verified, at: Date.now() });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    hooks,
    addSecret: (s) => secrets.push(s),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** GATEWAY_SECRET from .dev.vars (scripts/local-env.mjs writes it on first `npm start`). */
export function devVarsGatewaySecret(): string {
  const m = readFileSync(path.join(ROOT, ".dev.vars"), "utf8").match(/^GATEWAY_SECRET=(.*)$/m);
  if (!m) throw new Error(".dev.vars has no GATEWAY_SECRET");
  return m[1]!.trim();
}

export interface GatewayProcess {
  child: ChildProcess;
  output(): string;
  /** The JSON log lines. */
  logs(): Array<Record<string, unknown>>;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `tsx src/gateway/service/main.ts` with these flags; resolves once /health answers. */
export async function startGatewayProcess(args: string[], env: Record<string, string>, healthUrl: string): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src", "gateway", "service", "main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await Promise.race([exited, sleep(15_000)]);
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`the gateway exited: ${out}`);
    try {
      if ((await fetch(healthUrl, { signal: AbortSignal.timeout(1000) })).ok) {
        const logs = () =>
          out
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as Record<string, unknown>);
        return { child, output: () => out, logs, kill };
      }
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await kill("SIGKILL");
  throw new Error(`the gateway did not answer ${healthUrl}: ${out}`);
}

/** SIPp with one of test/interop/t38's scenarios, on a port we choose (the gateway's trunk), calling `service` as UAC. */
export function startSippOn(scenario: string, port: number, keys: Record<string, string | number>, remote?: { target: string; service: string }): { done: Promise<number>; kill(): void } {
  const args = [
    ...(remote ? [remote.target, "-s", remote.service] : []),
    "-sf", path.join(SCENARIOS, scenario),
    "-i", "127.0.0.1",
    "-p", String(port),
    "-m", "1",
    "-nostdin",
    "-timeout", "180s",
    "-timeout_error",
    ...Object.entries(keys).flatMap(([k, v]) => ["-key", k, String(v)]),
  ];
  const child = spawn("sipp", args, { stdio: "ignore", cwd: ROOT });
  const done = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? 99)));
  return { done, kill: () => void (child.exitCode === null && child.kill("SIGKILL")) };
}

/** Gateway log lines for one fax: the negotiated rate and each page's coded size give the on-the-wire time. */
export function wireTime(logs: Array<Record<string, unknown>>, faxId: string): { bitRate: number; bytes: number; seconds: number; ecm: boolean; scheme: string; callSeconds: number; acceptedAt: number } | null {
  const mine = logs.filter((l) => l.fax_id === faxId);
  const negotiated = mine.filter((l) => l.msg === "negotiated").at(-1);
  if (!negotiated) return null;
  const bytes = mine.filter((l) => l.msg === "page" && l.accepted === true).reduce((n, l) => n + Number(l.bytes), 0);
  const bitRate = Number(negotiated.bit_rate);
  const ended = mine.find((l) => l.msg === "call ended");
  const accepted = mine.find((l) => l.msg === "job accepted" || l.msg === "job queued");
  return {
    bitRate,
    bytes,
    seconds: (bytes * 8) / bitRate,
    ecm: negotiated.ecm === true,
    scheme: String(negotiated.scheme),
    callSeconds: Number(ended?.duration_ms ?? NaN) / 1000,
    acceptedAt: Date.parse(String(accepted?.time ?? "")),
  };
}

/** The JSON lines `npm start` printed for its gateway service ("[gateway] {...}"). */
export function platformGatewayLogs(output: string): Array<Record<string, unknown>> {
  return output
    .split("\n")
    .map((l) => l.match(/^\[gateway\s*\] (\{.*\})$/)?.[1])
    .filter((l): l is string => !!l)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
