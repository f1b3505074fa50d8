/**
 * `npm run -s gateway -- send --to sip:NUMBER@HOST:PORT --tiff FILE [options]`
 * `npm run -s gateway -- listen --bind 127.0.0.1:PORT --out DIR [options]`
 *
 * Sends or receives faxes over SIP + T.38 (see ./fax-call.ts), printing the negotiated parameters,
 * one line per page and the outcome. Exit status 0 only when the fax went through.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readTiff, writeTiff } from "../codec/index.js";
import { answerFaxes, sendFax, type FaxCallEvent, type FaxCallResult } from "./fax-call.js";
import type { CodingScheme, FaxPageImage, FaxResolution } from "./t30/index.js";

const USAGE = `usage:
  gateway send --to sip:NUMBER@HOST:PORT --tiff FILE [--ecm on|off] [--t38-offer invite|reinvite]
               [--resolution auto|standard|fine] [--schemes mh,mr,mmr] [--bind ADDR]
               [--user NAME --password SECRET] [--proxy HOST:PORT] [--ident TSI] [--loss PCT]
  gateway listen --bind ADDR:PORT --out DIR [--ecm on|off] [--schemes mh,mr,mmr] [--once]
               [--audio-only reinvite|reject] [--ident CSI] [--loss PCT]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function hostPort(value: string, what: string): { address: string; port: number } {
  const m = value.match(/^([^:]+):(\d{1,5})$/);
  if (!m) fail(`${what} must be HOST:PORT`);
  return { address: m[1]!, port: Number(m[2]) };
}

function schemesArg(value: string | undefined): CodingScheme[] | undefined {
  if (!value) return undefined;
  const list = value.split(",").map((s) => s.trim().toLowerCase());
  for (const s of list) if (s !== "mh" && s !== "mr" && s !== "mmr") fail(`unknown coding scheme ${s}`);
  return list as CodingScheme[];
}

/** T.4 §2.3: standard is 3.85 lines/mm (98 dpi), fine 7.7 (196 dpi): convert by doubling or dropping rows. */
function withResolution(page: FaxPageImage, target: FaxResolution): FaxPageImage {
  if (page.resolution === target) return page;
  const { width, height, data } = page.bitmap;
  const stride = Math.ceil(width / 8);
  if (target === "fine") {
    const out = new Uint8Array(stride * height * 2);
    for (let y = 0; y < height; y++) {
      const row = data.subarray(y * stride, (y + 1) * stride);
      out.set(row, 2 * y * stride);
      out.set(row, (2 * y + 1) * stride);
    }
    return { resolution: "fine", bitmap: { width, height: height * 2, data: out } };
  }
  const rows = Math.ceil(height / 2);
  const out = new Uint8Array(stride * rows);
  for (let y = 0; y < rows; y++) out.set(data.subarray(2 * y * stride, (2 * y + 1) * stride), y * stride);
  return { resolution: "standard", bitmap: { width, height: rows, data: out } };
}

function describeEvent(e: FaxCallEvent, prefix = ""): string | undefined {
  if (e.type === "sip") return `${prefix}sip: ${e.state}${e.detail ? ` (${e.detail})` : ""}`;
  if (e.type === "t38") {
    const a = e.t38.agreed;
    return `${prefix}t38: version ${a.version}, max ${a.maxBitRate} bit/s, ${a.rateManagement}, ${a.udpEc}, far end ${e.t38.address}:${e.t38.port} (max datagram ${e.t38.remote.maxDatagram ?? "?"}), local UDPTL port ${e.localPort}`;
  }
  const t = e.event;
  if (t.type === "negotiated") {
    const n = t.negotiated;
    return `${prefix}t30: ${n.modem} ${n.bitRate} bit/s, ${n.scheme.toUpperCase()}, ${n.resolution}, ECM ${n.ecm ? "on" : "off"}, width ${n.width}${t.remoteIdent ? `, far end "${t.remoteIdent}"` : ""}`;
  }
  if (t.type === "page") return `${prefix}page ${t.page}: ${t.bytes} bytes, ${t.accepted ? "confirmed" : "rejected"}${t.badRows ? `, ${t.badRows} bad rows` : ""}`;
  return undefined;
}

function describeResult(r: FaxCallResult): string {
  return `result: ${r.success ? "OK" : `FAILED ${r.failureCode}`} - ${r.t30Result}; pages ${r.pagesTransferred}; ${(r.durationMs / 1000).toFixed(1)} s`;
}

async function send(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      to: { type: "string" },
      tiff: { type: "string" },
      ecm: { type: "string", default: "on" },
      "t38-offer": { type: "string", default: "reinvite" },
      resolution: { type: "string", default: "auto" },
      schemes: { type: "string" },
      bind: { type: "string", default: "127.0.0.1" },
      user: { type: "string" },
      password: { type: "string" },
      proxy: { type: "string" },
      ident: { type: "string" },
      loss: { type: "string" },
    },
  });
  if (!values.to || !/^sips?:/.test(values.to)) fail("--to sip:NUMBER@HOST:PORT is required");
  if (!values.tiff) fail("--tiff FILE is required");
  if (values["t38-offer"] !== "invite" && values["t38-offer"] !== "reinvite") fail("--t38-offer is invite or reinvite");
  if (!["auto", "standard", "fine"].includes(values.resolution!)) fail("--resolution is auto, standard or fine");
  let pages: FaxPageImage[];
  try {
    pages = readTiff(readFileSync(values.tiff)).map((p) => ({ bitmap: p.bitmap, resolution: p.yResolution > 150 ? "fine" : "standard" }));
  } catch (err) {
    process.stderr.write(`cannot read ${values.tiff}: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.resolution !== "auto") pages = pages.map((p) => withResolution(p, values.resolution as FaxResolution));
  const schemes = schemesArg(values.schemes);
  const loss = values.loss ? Number(values.loss) / 100 : undefined;
  const result = await sendFax({
    to: values.to,
    pages,
    bind: values.bind!,
    t38Offer: values["t38-offer"] as "invite" | "reinvite",
    ecm: values.ecm !== "off",
    ...(schemes ? { schemes } : {}),
    ...(values.ident ? { localIdent: values.ident } : {}),
    ...(loss !== undefined ? { udptlTxLoss: loss, udptlRxLoss: loss } : {}),
    uaOptions: {
      ...(values.user && values.password ? { credentials: { username: values.user, password: values.password }, user: values.user } : {}),
      ...(values.proxy ? { outboundProxy: hostPort(values.proxy, "--proxy") } : {}),
    },
    onEvent: (e) => {
      const line = describeEvent(e);
      if (line) process.stdout.write(`${line}\n`);
    },
  });
  process.stdout.write(`${describeResult(result)}\n`);
  return result.success ? 0 : 1;
}

async function listen(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bind: { type: "string", default: "127.0.0.1:5060" },
      out: { type: "string" },
      ecm: { type: "string", default: "on" },
      schemes: { type: "string" },
      once: { type: "boolean", default: false },
      "audio-only": { type: "string", default: "reinvite" },
      ident: { type: "string" },
      loss: { type: "string" },
    },
  });
  if (!values.out) fail("--out DIR is required");
  const bind = hostPort(values.bind!, "--bind");
  mkdirSync(values.out, { recursive: true });
  const schemes = schemesArg(values.schemes);
  const loss = values.loss ? Number(values.loss) / 100 : undefined;
  let received = 0;
  let resolveOnce: (code: number) => void = () => undefined;
  const onceDone = new Promise<number>((r) => (resolveOnce = r));
  const listener = await answerFaxes({
    bind: bind.address,
    port: bind.port,
    ecm: values.ecm !== "off",
    audioOnly: values["audio-only"] === "reject" ? "reject" : "reinvite",
    ...(schemes ? { schemes } : {}),
    ...(values.ident ? { localIdent: values.ident } : {}),
    ...(loss !== undefined ? { udptlTxLoss: loss, udptlRxLoss: loss } : {}),
    onCall: (c) => process.stdout.write(`call: from ${c.caller} to ${c.callee}\n`),
    onEvent: (e) => {
      const line = describeEvent(e);
      if (line) process.stdout.write(`${line}\n`);
    },
    onFax: (fax) => {
      if (fax.pages.length > 0) {
        const file = join(values.out!, `fax-${new Date().toISOString().replace(/[:.]/g, "-")}-${++received}.tif`);
        const scheme = fax.pages[0]!.scheme;
        writeFileSync(file, writeTiff(fax.pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: p.resolution === "fine" ? 196 : 98 })), { scheme }));
        process.stdout.write(`saved: ${file}\n`);
      }
      process.stdout.write(`${describeResult(fax)}\n`);
      if (values.once) resolveOnce(fax.success ? 0 : 1);
    },
  });
  process.stdout.write(`listening: sip:fax@${bind.address}:${listener.port}\n`);
  const stop = () => {
    listener.close();
    resolveOnce(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const code = await onceDone;
  listener.close();
  return code;
}

const [command, ...rest] = process.argv.slice(2);
const run = command === "send" ? send : command === "listen" ? listen : () => fail(command ? `unknown command ${command}` : "a command is required");
run(rest).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
