/**
 * The origin gateway in service, end to end (issue 7):
 * 1. `npm start`'s stack with its loopback carrier: a live fax from one account to another's number leaves
 *    through SIP/T.38 on 127.0.0.1 and comes back in as a received fax; pixels, page counts, webhooks.
 * 2. The gateway service as its own process with SIPp + spandsp as the far end, both directions; the
 *    gateway down (gateway.unavailable) and killed mid-call (the sweep fails it with gateway.lost).
 * Real fax runs in real time: each call is 20-40 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTiff } from "../../../src/codec/index.js";
import { createKey, freePort, makeStateDir, removeStateDir, startLocalPlatform, type LocalPlatform } from "../../local/server.js";
import { freeUdpPort, sourceTiff, startHarness, type HarnessResult } from "../t38/lib.js";
import { tiffPagePixels } from "../t38/pages.js";
import { Account, devVarsGatewaySecret, pdfBase64, platformGatewayLogs, sleep, startGatewayProcess, startSippOn, startWebhookReceiver, wireTime, type Fax, type GatewayProcess, type WebhookReceiver } from "./lib.js";

const WORK = mkdtempSync(path.join(tmpdir(), "edgefax-gw-e2e-"));
const timings: string[] = [];

afterAll(() => {
  if (timings.length) {
    const file = path.join(WORK, "..", `edgefax-gateway-e2e-timings-${process.pid}.txt`);
    writeFileSync(file, timings.join("\n") + "\n");
    console.log(`gateway e2e timings (${file}):\n${timings.join("\n")}`);
  }
  rmSync(WORK, { recursive: true, force: true });
});

async function provision(platform: LocalPlatform, stateDir: string): Promise<{ account: Account; number: string }> {
  const account = new Account(platform.url, await createKey(stateDir, { live: true, rateLimit: 100_000 }));
  const number = (await account.json<{ number: string }>("/v1/numbers", { json: {} }, 201)).number;
  return { account, number };
}

function samePages(a: Uint8Array, b: Uint8Array): { pages: number; equal: boolean; resolutions: number[] } {
  const pa = readTiff(a);
  const pb = readTiff(b);
  const equal = pa.length === pb.length && pa.every((p, i) => p.bitmap.width === pb[i]!.bitmap.width && p.bitmap.height === pb[i]!.bitmap.height && Math.abs(p.yResolution - pb[i]!.yResolution) < 2 && Buffer.from(p.bitmap.data).equals(Buffer.from(pb[i]!.bitmap.data)));
  return { pages: pb.length, equal, resolutions: pb.map((p) => Math.round(p.yResolution)) };
}

describe("npm start: live faxes through the loopback carrier", () => {
  let stateDir: string;
  let platform: LocalPlatform | undefined;
  let hooks: WebhookReceiver;
  let sender: { account: Account; number: string };
  let receiver: { account: Account; number: string };

  beforeAll(async () => {
    stateDir = await makeStateDir();
    hooks = await startWebhookReceiver();
    platform = await startLocalPlatform({ stateDir });
    sender = await provision(platform, stateDir);
    receiver = await provision(platform, stateDir);
    for (const side of [sender, receiver]) {
      const endpoint = await side.account.json<{ secret: string }>("/v1/webhooks", { json: { url: hooks.url, event_types: ["*"] } }, 201);
      hooks.addSecret(endpoint.secret);
    }
  }, 120_000);

  afterAll(async () => {
    await platform?.stop();
    await hooks?.close();
    if (stateDir) await removeStateDir(stateDir);
  }, 60_000);

  for (const pages of [1, 3]) {
    it(`sends a ${pages}-page fax over SIP/T.38 and receives it pixel for pixel, with signed webhooks on both sides`, async () => {
      const known = new Set((await receiver.account.received()).map((f) => f.id));
      const content = await pdfBase64(pages, `edgefax loopback ${pages}p`);
      const posted = Date.now();
      const created = await sender.account.json<Fax>("/v1/faxes", { json: { to: receiver.number, documents: [{ content, content_type: "application/pdf" }], options: { max_attempts: 1 } } }, 202);
      const incoming = await receiver.account.waitReceived(known, 150_000);
      const listedMs = Date.now() - posted;
      const sent = await sender.account.waitFax(created.id, (f) => ["delivered", "failed"].includes(f.status), 30_000);
      expect({ status: sent.status, error: sent.error }).toEqual({ status: "delivered", error: null });
      expect(sent.page_count).toBe(pages);
      expect(sent.pages_sent).toBe(pages);
      expect(incoming).not.toBeNull();
      expect(incoming!).toMatchObject({ status: "received", direction: "inbound", from: sender.number, to: receiver.number, page_count: pages });

      const sentTiff = await sender.account.bytes(`/v1/faxes/${created.id}/image?format=tiff`);
      const gotTiff = await receiver.account.bytes(`/v1/faxes/${incoming!.id}/image?format=tiff`);
      const compared = samePages(sentTiff, gotTiff);
      expect(compared).toMatchObject({ pages, equal: true });

      // Webhooks: the sender's fax.delivered and the receiver's fax.received, both verified by standardwebhooks.
      for (let i = 0; i < 200 && !(hooks.hooks.some((h) => h.type === "fax.received" && h.faxId === incoming!.id) && hooks.hooks.some((h) => h.type === "fax.delivered" && h.faxId === created.id)); i++) await sleep(100);
      const delivered = hooks.hooks.find((h) => h.type === "fax.delivered" && h.faxId === created.id);
      const received = hooks.hooks.find((h) => h.type === "fax.received" && h.faxId === incoming!.id);
      expect(delivered?.verified).toBe(true);
      expect(received?.verified).toBe(true);
      expect(received!.data).toMatchObject({ from: sender.number, to: receiver.number, page_count: pages });
      expect(hooks.hooks.filter((h) => h.type === "fax.page_sent" && h.faxId === created.id).map((h) => h.verified)).toEqual(Array(pages).fill(true));

      const wire = wireTime(platformGatewayLogs(platform!.output()), created.id);
      expect(wire).not.toBeNull();
      timings.push(
        `loopback ${pages}p: POST /v1/faxes -> received fax listed ${(listedMs / 1000).toFixed(1)} s, -> fax.received webhook ${((received!.at - posted) / 1000).toFixed(1)} s; ` +
          `job at the gateway after ${((wire!.acceptedAt - posted) / 1000).toFixed(1)} s (render + dispatch), the call itself ${wire!.callSeconds.toFixed(1)} s; ` +
          `on the wire ${wire!.seconds.toFixed(2)} s (${wire!.bytes} coded bytes at ${wire!.bitRate} bit/s, ${wire!.scheme.toUpperCase()}, ECM ${wire!.ecm ? "on" : "off"}; resolutions ${compared.resolutions.join(",")} lpi)`,
      );
    });
  }

  it("fails a fax to a live number nobody here holds with fax.not_a_fax (SIP 404), in the API and the webhook alike", async () => {
    const content = await pdfBase64(1, "nobody");
    const created = await sender.account.json<Fax>("/v1/faxes", { json: { to: "+15557019999", documents: [{ content, content_type: "application/pdf" }] } }, 202);
    const fax = await sender.account.waitFax(created.id, (f) => ["delivered", "failed"].includes(f.status), 60_000);
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "fax.not_a_fax", retryable: false, t30_result: "SIP 404 Not Found" });
    for (let i = 0; i < 100 && !hooks.hooks.some((h) => h.type === "fax.failed" && h.faxId === created.id); i++) await sleep(100);
    const hook = hooks.hooks.find((h) => h.type === "fax.failed" && h.faxId === created.id);
    expect(hook?.verified).toBe(true);
    expect(hook!.data.error).toMatchObject({ code: "fax.not_a_fax", t30_result: "SIP 404 Not Found" });
  });
});

describe("the gateway service with SIPp + spandsp as the far end, and gateway failures", () => {
  let stateDir: string;
  let platform: LocalPlatform | undefined;
  let gateway: GatewayProcess | undefined;
  let account: { account: Account; number: string };
  let gatewayArgs: string[];
  let gatewayEnv: Record<string, string>;
  let healthUrl: string;
  let sipPort: number;
  let trunkPort: number;
  const cleanup: Array<() => void> = [];

  beforeAll(async () => {
    stateDir = await makeStateDir();
    const httpPort = await freePort();
    sipPort = await freeUdpPort();
    trunkPort = await freeUdpPort();
    healthUrl = `http://127.0.0.1:${httpPort}/health`;
    // The Worker hands live faxes to our own gateway process (SIPp is its trunk); a short sweep interval.
    platform = await startLocalPlatform({ stateDir, vars: { GATEWAY_URL: `http://127.0.0.1:${httpPort}`, SWEEP_STALE_SECONDS: "15" } });
    account = await provision(platform, stateDir);
    gatewayArgs = ["--http", `127.0.0.1:${httpPort}`, "--sip", `127.0.0.1:${sipPort}`, "--trunk", `127.0.0.1:${trunkPort}`, "--spool", path.join(WORK, "spool"), "--heartbeat-seconds", "5"];
    gatewayEnv = { EDGE_URL: platform.url, GATEWAY_SECRET: devVarsGatewaySecret() };
  }, 120_000);

  afterAll(async () => {
    for (const c of cleanup) c();
    await gateway?.kill("SIGKILL");
    await platform?.stop();
    if (stateDir) await removeStateDir(stateDir);
  }, 60_000);

  async function sendPdf(pages: number, to: string): Promise<{ id: string; posted: number }> {
    const content = await pdfBase64(pages, `edgefax to spandsp ${pages}p`);
    const posted = Date.now();
    const created = await account.account.json<Fax>("/v1/faxes", { json: { to, documents: [{ content, content_type: "application/pdf" }], options: { max_attempts: 1 } } }, 202);
    return { id: created.id, posted };
  }

  it("with the gateway down, a live fax fails with the retryable gateway.unavailable", async () => {
    const { id } = await sendPdf(1, "+14155550100");
    const fax = await account.account.waitFax(id, (f) => f.status === "failed", 60_000);
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "gateway.unavailable", retryable: true });
  });

  it("sends to spandsp: the Worker's job goes out through the gateway, SIPp and spandsp's t38_terminal", async () => {
    gateway = await startGatewayProcess(gatewayArgs, gatewayEnv, healthUrl);
    const received = path.join(WORK, "spandsp-rx.tif");
    const harness = await startHarness(["--mode", "receive", "--tiff", received, "--compressions", "mh,mr,mmr", "--ecm", "on", "--loss", "0", "--seed", "1", "--timeout", "150"]);
    const sipp = startSippOn("uas-reinvite.xml", trunkPort, { harness_port: harness.port, audio_port: 9 });
    cleanup.push(harness.kill, sipp.kill);
    const { id, posted } = await sendPdf(2, "+14155550100");
    const fax = await account.account.waitFax(id, (f) => ["delivered", "failed"].includes(f.status), 150_000);
    const doneMs = Date.now() - posted;
    const spandsp: HarnessResult = await Promise.race([harness.result, sleep(20_000).then(() => ({ ok: false, text: "harness timeout" }) as HarnessResult)]);
    expect({ status: fax.status, error: fax.error }).toEqual({ status: "delivered", error: null });
    expect(fax.pages_sent).toBe(2);
    expect(spandsp).toMatchObject({ ok: true, pages: 2 });
    const sentTiff = path.join(WORK, "sent.tif");
    writeFileSync(sentTiff, await account.account.bytes(`/v1/faxes/${id}/image?format=tiff`));
    // libtiff decodes both: what we rendered and what spandsp filed.
    const a = await tiffPagePixels(sentTiff, WORK);
    const b = await tiffPagePixels(received, WORK);
    expect(b.length).toBe(2);
    expect(a.every((p, i) => p.equals(b[i]!))).toBe(true);
    const wire = wireTime(gateway.logs(), id);
    timings.push(`to spandsp 2p: POST -> delivered ${(doneMs / 1000).toFixed(1)} s; spandsp: rate ${spandsp.rate}, ECM ${spandsp.ecm ? "on" : "off"}, T.38 ${(spandsp.t38Ms / 1000).toFixed(1)} s; on the wire ${wire?.seconds.toFixed(2)} s (${wire?.bytes} bytes at ${wire?.bitRate} bit/s)`);
  });

  it("receives from spandsp: SIPp calls the gateway, and the fax is listed with the same pixels", async () => {
    expect(gateway).toBeDefined();
    const known = new Set((await account.account.received()).map((f) => f.id));
    const source = sourceTiff("mmr", "fine", 2);
    const harness = await startHarness(["--mode", "send", "--calling", "--tiff", source, "--compressions", "mh,mr,mmr", "--ecm", "on", "--loss", "0", "--seed", "2", "--timeout", "150"]);
    const sipp = startSippOn("uac-invite.xml", await freeUdpPort(), { harness_port: harness.port, audio_port: 9 }, { target: `127.0.0.1:${sipPort}`, service: account.number });
    cleanup.push(harness.kill, sipp.kill);
    const started = Date.now();
    const incoming = await account.account.waitReceived(known, 150_000);
    const spandsp: HarnessResult = await Promise.race([harness.result, sleep(20_000).then(() => ({ ok: false, text: "harness timeout" }) as HarnessResult)]);
    expect(spandsp).toMatchObject({ ok: true, pages: 2 });
    expect(incoming).toMatchObject({ status: "received", to: account.number, page_count: 2 });
    const got = path.join(WORK, "from-spandsp.tif");
    writeFileSync(got, await account.account.bytes(`/v1/faxes/${incoming!.id}/image?format=tiff`));
    const a = await tiffPagePixels(source, WORK);
    const b = await tiffPagePixels(got, WORK);
    expect(b.length).toBe(2);
    expect(a.every((p, i) => p.equals(b[i]!))).toBe(true);
    timings.push(`from spandsp 2p: SIPp INVITE -> received fax listed ${((Date.now() - started) / 1000).toFixed(1)} s; spandsp T.38 ${(spandsp.t38Ms / 1000).toFixed(1)} s at ${spandsp.rate} bit/s`);
  });

  it("a gateway killed mid-call: the sweep fails the fax with gateway.lost, never leaving it in sending", async () => {
    expect(gateway).toBeDefined();
    const harness = await startHarness(["--mode", "receive", "--tiff", path.join(WORK, "lost.tif"), "--compressions", "mh,mr,mmr", "--ecm", "on", "--loss", "0", "--seed", "3", "--timeout", "150"]);
    const sipp = startSippOn("uas-reinvite.xml", trunkPort, { harness_port: harness.port, audio_port: 9 });
    cleanup.push(harness.kill, sipp.kill);
    const { id } = await sendPdf(3, "+14155550101");
    // Mid-call: T.30 has negotiated, the first page is on its way.
    for (let i = 0; i < 600 && !gateway!.logs().some((l) => l.fax_id === id && l.msg === "negotiated"); i++) await sleep(100);
    expect((await account.account.fax(id)).status).toBe("sending");
    await gateway!.kill("SIGKILL");
    const killedAt = Date.now();
    harness.kill();
    sipp.kill();
    // The next gateway process starts clean; the fax waits for the sweep (SWEEP_STALE_SECONDS=15).
    gateway = await startGatewayProcess(gatewayArgs, gatewayEnv, healthUrl);
    let fax = await account.account.fax(id);
    for (let i = 0; i < 60 && fax.status === "sending"; i++) {
      await sleep(1000);
      await fetch(`${platform!.url}/__scheduled?cron=${encodeURIComponent("* * * * *")}`).then((r) => r.arrayBuffer()).catch(() => undefined);
      fax = await account.account.fax(id);
    }
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "gateway.lost", retryable: true });
    timings.push(`gateway killed mid-call: failed gateway.lost ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill (SWEEP_STALE_SECONDS=15)`);
  });

  it("a trunk that never answers the INVITE: SIP Timer B (32 s) ends the attempt with fax.no_answer", async () => {
    expect(gateway).toBeDefined();
    // Nothing listens on the trunk port any more (SIPp is gone): the INVITE goes unanswered.
    const { id, posted } = await sendPdf(1, "+14155550102");
    const fax = await account.account.waitFax(id, (f) => ["delivered", "failed"].includes(f.status), 90_000);
    expect(fax.status).toBe("failed");
    expect(fax.error).toMatchObject({ code: "fax.no_answer", retryable: true, t30_result: "SIP 408 Request Timeout" });
    timings.push(`no answer: failed fax.no_answer ${((Date.now() - posted) / 1000).toFixed(1)} s after the POST`);
  });
});
