// T.38 interop: our SIP/SDP/UDPTL/T.30 stack against spandsp 0.0.6 (t38_terminal behind our C harness),
// signalled by SIPp, captured by tshark. CI runs an all-pairs subset; INTEROP_FULL=1 runs every combination.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { caseName, fullMatrix, harnessBinary, pagesOf, pairwiseMatrix, runCase, selectedCases, sourceTiff, startCapture, startHarness, startSipp, writeReport, type CaseOutcome, type MatrixCase } from "./lib.js";
import { answerFaxes, sendFax, type FaxCallResult } from "../../../src/gateway/fax-call.js";

const FULL = process.env.INTEROP_FULL === "1";
const cases = selectedCases(FULL ? fullMatrix() : pairwiseMatrix());
const FILTERED = Boolean(process.env.T38_CASES?.trim());
const rows: string[] = [];
// The calls share this process's event loop with the harness: its longest stall is printed with the
// table, since a stall of a second or more breaks real-time T.38 pacing (and so a row) by itself.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

beforeAll(() => {
  harnessBinary();
  // Every source page is made (by libtiff's tools, synchronously) before the first call starts, so no
  // call's real-time T.38 pacing waits on another call's set-up.
  for (const { c } of cases) sourceTiff(c.compression, c.resolution, c.pages);
  loopDelay.enable();
});

afterAll(() => {
  const table = [
    `| # | case | ours | spandsp | pages | pixels | T.38 pkts / malformed | rate | s |`,
    `|---|---|---|---|---|---|---|---|---|`,
    ...rows.sort(),
  ].join("\n");
  const file = writeReport(`${FULL ? "matrix-full" : "matrix-ci"}${FILTERED ? "-selected" : ""}.md`, table + "\n");
  loopDelay.disable();
  console.log(`\n${table}\n(written to ${file}; longest event-loop stall ${(loopDelay.max / 1e6).toFixed(0)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms)`);
});

function record(n: number, c: MatrixCase, r: CaseOutcome): void {
  rows.push(
    `| ${String(n).padStart(3, "0")} | ${caseName(c)} | ${r.ours.success ? "OK" : `${r.ours.failureCode}: ${r.ours.t30Result}`} | ${r.spandsp.ok ? "OK" : r.spandsp.text} | ${r.pagesCompared}/${c.pages} | ${r.pixelsEqual ? "identical" : "DIFFER"} | ${r.capture.t38Packets} / ${r.capture.malformed} | ${r.ours.negotiated ? `${r.ours.negotiated.bitRate} ${r.ours.negotiated.scheme}` : "-"} | ${r.seconds.toFixed(0)} |`,
  );
}

describe.concurrent(`T.38 fax against spandsp (${FULL ? "full matrix" : "all-pairs subset"}, ${cases.length} calls)`, () => {
  cases.forEach(({ c, n }) => {
    it(`${String(n).padStart(3, "0")} ${caseName(c)}`, async () => {
      const r = await runCase(c, n);
      record(n, c, r);
      // A row run alone is usually a row being debugged: show the harness's own account and the capture.
      if (FILTERED) console.log(`${String(n).padStart(3, "0")}: ${r.spandsp.line}\n     capture ${r.capture.file}`);
      expect({ ours: r.ours.success ? "OK" : r.ours.t30Result, spandsp: r.spandsp.ok ? "OK" : r.spandsp.text }).toEqual({ ours: "OK", spandsp: "OK" });
      expect(r.ours.pagesTransferred).toBe(c.pages);
      expect(r.spandsp.pages).toBe(c.pages);
      expect(r.ours.negotiated).toMatchObject({ scheme: c.compression, resolution: c.resolution, ecm: c.ecm });
      expect(r.pagesCompared).toBe(c.pages);
      expect(r.pixelsEqual).toBe(true);
      expect(r.capture.t38Packets).toBeGreaterThan(20);
      expect(r.capture.malformed).toBe(0);
    });
  });
});

describe.concurrent("T.38 signalling edge cases against SIPp", () => {
  it("as answerer, switches an audio-only call to T.38 with its own re-INVITE", async () => {
    let done: (f: FaxCallResult) => void = () => undefined;
    const fax = new Promise<FaxCallResult>((r) => (done = r));
    const listener = await answerFaxes({ reinviteAfterMs: 1000, onFax: done });
    const source = sourceTiff("mh", "standard", 1);
    const harness = await startHarness(["--mode", "send", "--calling", "--tiff", source, "--compressions", "mh", "--timeout", "120"]);
    const sipp = await startSipp("uac-wait-for-reinvite.xml", { harness_port: harness.port, audio_port: 9 }, `127.0.0.1:${listener.port}`);
    try {
      const r = await fax;
      expect(r.success).toBe(true);
      expect((await harness.result).ok).toBe(true);
      expect(await sipp.done).toBe(0);
    } finally {
      harness.kill();
      sipp.kill();
      listener.close();
    }
  });

  it("as answerer configured for T.38 only, answers an audio-only INVITE with 488", async () => {
    const listener = await answerFaxes({ audioOnly: "reject", onFax: () => undefined });
    const sipp = await startSipp("uac-audio-488.xml", { harness_port: 9, audio_port: 9 }, `127.0.0.1:${listener.port}`);
    try {
      expect(await sipp.done).toBe(0); // the scenario fails unless the answer is 488
    } finally {
      sipp.kill();
      listener.close();
    }
  });

  it("as caller, reports fax.t38_refused when the far end answers 488 to the T.38 re-INVITE", async () => {
    const sipp = await startSipp("uas-refuse-t38.xml", { harness_port: 9, audio_port: 9 });
    try {
      const r = await sendFax({ to: `sip:5551000@127.0.0.1:${sipp.port}`, pages: pagesOf(sourceTiff("mh", "standard", 1)) });
      expect(r).toMatchObject({ success: false, failureCode: "fax.t38_refused", sipStatus: 488 });
      expect(await sipp.done).toBe(0);
    } finally {
      sipp.kill();
    }
  });

  it("the CLI sends a fax to spandsp and exits 0, printing parameters and pages", async () => {
    const received = `${process.env.TMPDIR ?? "/tmp"}/edgefax-cli-${process.pid}.tif`;
    const harness = await startHarness(["--mode", "receive", "--tiff", received, "--timeout", "120"]);
    const sipp = await startSipp("uas-reinvite.xml", { harness_port: harness.port, audio_port: 9 });
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "src/gateway/cli.ts", "send", "--to", `sip:5551000@127.0.0.1:${sipp.port}`, "--tiff", sourceTiff("mr", "fine", 1)], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      expect(out).toMatch(/^t38: version 0, max 14400 bit\/s, transferredTCF, t38UDPRedundancy/m);
      expect(out).toMatch(/^t30: v17 14400 bit\/s, MMR, fine, ECM on/m);
      expect(out).toMatch(/^page 1: \d+ bytes, confirmed/m);
      expect(out).toMatch(/^result: OK/m);
      expect(code).toBe(0);
      expect((await harness.result).ok).toBe(true);
    } finally {
      harness.kill();
      sipp.kill();
    }
  });
});

describe("bad input", () => {
  it("10,000 random datagrams at the SIP and UDPTL ports leave the following call working", async () => {
    let done: (f: FaxCallResult) => void = () => undefined;
    const fax = new Promise<FaxCallResult>((r) => (done = r));
    let udptlPort = 0;
    const listener = await answerFaxes({ onFax: done, onEvent: (e) => e.type === "t38" && (udptlPort = e.localPort) });
    const blaster = createSocket("udp4");
    await new Promise<void>((r) => blaster.bind(0, "127.0.0.1", r));
    const blast = async (port: number, n: number) => {
      for (let i = 0; i < n; i++) {
        const junk = i % 3 === 0 ? Buffer.from(`INVITE sip:x SIP/2.0\r\nVia: ${randomBytes(8).toString("hex")}\r\nCSeq: ${i} INVITE\r\n\r\n`) : randomBytes(1 + (i % 400));
        blaster.send(junk, port, "127.0.0.1");
        // Let the (same-process) gateway read them: the point is to parse them, not to overflow the kernel buffer.
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    };
    try {
      await blast(listener.port, 10_000);
      // Now a real call; while it runs, the UDPTL port gets its 10,000 too (from a stranger's address).
      const source = sourceTiff("mh", "standard", 1);
      const harness = await startHarness(["--mode", "send", "--calling", "--tiff", source, "--compressions", "mh", "--timeout", "120"]);
      const capture = await startCapture(harness.port, `flood-${process.pid}`);
      const sipp = await startSipp("uac-invite.xml", { harness_port: harness.port, audio_port: 9 }, `127.0.0.1:${listener.port}`);
      try {
        while (udptlPort === 0) await new Promise((r) => setTimeout(r, 50));
        await blast(udptlPort, 10_000);
        const r = await fax;
        expect(r.success).toBe(true);
        expect((await harness.result).ok).toBe(true);
        expect((await capture.stop()).malformed).toBe(0);
      } finally {
        harness.kill();
        sipp.kill();
      }
      // Nearly all reached the SIP parser (UDP may still drop a few); none took the user agent down.
      expect(listener.ua.stats.received).toBeGreaterThanOrEqual(9_000);
      expect(listener.ua.stats.malformed).toBeGreaterThanOrEqual(9_000);
    } finally {
      blaster.close();
      listener.close();
    }
  });
});
