/**
 * The engine in real time over a real UDPTL socket against spandsp's t38_terminal, using the
 * transport's UDPTL port (src/gateway/t38/udptl-port.ts) and its spandsp harness
 * (test/interop/t38/harness/spandsp-t38.c), without SIP: checks the pacing and timers on the real
 * clock, where the lockstep suite checks the bits.
 */
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readTiff, writeTiff } from "../../../src/codec/index.js";
import { createUdptlPort } from "../../../src/gateway/t38/udptl-port.js";
import { startT30Session } from "../../../src/gateway/t30/index.js";
import { testPages } from "../../gateway/t30/pages.js";
import { WORK, startHarness } from "../t38/lib.js";

async function udp() {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
  return sock;
}

describe("T.30 in real time over UDPTL against spandsp", () => {
  it("sends 2 fine pages with ECM (MMR) and spandsp stores them pixel for pixel", async () => {
    const pages = testPages(2, "fine", 200);
    const sock = await udp();
    const rx = join(WORK, "t30-rt-rx.tif");
    const h = await startHarness(["--mode", "receive", "--tiff", rx, "--remote", `127.0.0.1:${sock.address().port}`, "--ecm", "on"]);
    const port = createUdptlPort({ socket: sock, remote: { address: "127.0.0.1", port: h.port }, t38Version: 0 });
    try {
      const o = await startT30Session({ role: "sender", callingParty: true, port, ecm: true, pages }).outcome;
      const r = await h.result;
      expect(o).toMatchObject({ success: true, pagesTransferred: 2, t30Result: "OK" });
      expect(r).toMatchObject({ ok: true, pages: 2, ecm: true });
      readTiff(new Uint8Array(readFileSync(rx))).forEach((p, i) => expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true));
    } finally {
      port.close();
      h.kill();
    }
  });

  it("receives 2 standard pages without ECM from a calling spandsp", async () => {
    const pages = testPages(2, "standard", 200);
    const sock = await udp();
    const tx = join(WORK, "t30-rt-tx.tif");
    writeFileSync(tx, writeTiff(pages.map((p) => ({ bitmap: p.bitmap, xResolution: 204, yResolution: 98 })), { scheme: "mh" }));
    const h = await startHarness(["--mode", "send", "--calling", "--tiff", tx, "--remote", `127.0.0.1:${sock.address().port}`, "--ecm", "off"]);
    const port = createUdptlPort({ socket: sock, remote: { address: "127.0.0.1", port: h.port }, t38Version: 0 });
    try {
      const o = await startT30Session({ role: "receiver", callingParty: false, port, ecm: true }).outcome;
      const r = await h.result;
      expect(r).toMatchObject({ ok: true, pages: 2, ecm: false });
      expect(o).toMatchObject({ success: true, pagesTransferred: 2, t30Result: "OK" });
      o.pages.forEach((p, i) => expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true));
    } finally {
      port.close();
      h.kill();
    }
  });
});
