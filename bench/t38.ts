/**
 * `npm run bench:t38`: the T.38 terminal's speed and footprint.
 *
 * 1. A 3-page fax into spandsp's t38_terminal (our harness, receiving), sent once by our terminal
 *    (SIP via SIPp) and once by a second spandsp harness, same pages, same run. Call time is measured
 *    by the receiving harness from its first UDPTL datagram to T.30 phase E, so both senders are
 *    timed by the same clock and the same receiver; the ratio ours/spandsp should be at most 1.05.
 * 2. 50 simultaneous loopback calls, our terminal against itself over real UDP on 127.0.0.1, with
 *    real-time pacing of modem data switched off (pacing "none": otherwise this measures only the
 *    modem speed), every call must succeed; memory per call is the RSS growth at peak divided by 50.
 */
import { answerFaxes, sendFax, type FaxCallResult } from "../src/gateway/fax-call.js";
import { harnessBinary, pagesOf, sourceTiff, startHarness, startSipp, WORK } from "../test/interop/t38/lib.js";

const PAGES = 3;
const CONCURRENT = Number(process.env.T38_BENCH_CALLS ?? 50);

async function oursToSpandsp(tiff: string): Promise<{ t38Ms: number; totalMs: number; ok: boolean }> {
  const harness = await startHarness(["--mode", "receive", "--tiff", `${WORK}/bench-ours-rx.tif`, "--timeout", "150"]);
  const sipp = await startSipp("uas-invite.xml", { harness_port: harness.port, audio_port: 9 });
  try {
    const start = Date.now();
    const r = await sendFax({ to: `sip:5551000@127.0.0.1:${sipp.port}`, pages: pagesOf(tiff), t38Offer: "invite" });
    const totalMs = Date.now() - start;
    const h = await harness.result;
    return { t38Ms: h.t38Ms, totalMs, ok: r.success && h.ok && h.pages === PAGES };
  } finally {
    harness.kill();
    sipp.kill();
  }
}

async function spandspToSpandsp(tiff: string): Promise<{ t38Ms: number; totalMs: number; ok: boolean }> {
  const rx = await startHarness(["--mode", "receive", "--tiff", `${WORK}/bench-spandsp-rx.tif`, "--timeout", "150"]);
  const start = Date.now();
  const tx = await startHarness(["--mode", "send", "--calling", "--tiff", tiff, "--remote", `127.0.0.1:${rx.port}`, "--timeout", "150"]);
  const [a, b] = await Promise.all([rx.result, tx.result]);
  return { t38Ms: a.t38Ms, totalMs: Date.now() - start, ok: a.ok && b.ok && a.pages === PAGES };
}

async function loopbackLoad(tiff: string): Promise<void> {
  const pages = pagesOf(tiff);
  const received: FaxCallResult[] = [];
  const listener = await answerFaxes({ pacing: "none", onFax: (f) => void received.push(f) });
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 20);
  const start = Date.now();
  const results = await Promise.all(
    Array.from({ length: CONCURRENT }, () => sendFax({ to: `sip:5551000@127.0.0.1:${listener.port}`, pages, pacing: "none", t38Offer: "reinvite" })),
  );
  const wall = Date.now() - start;
  while (received.length < CONCURRENT && Date.now() - start < wall + 10_000) await new Promise((r) => setTimeout(r, 50));
  clearInterval(sampler);
  listener.close();
  const sentOk = results.filter((r) => r.success && r.pagesTransferred === PAGES).length;
  const rxOk = received.filter((r) => r.success && r.pagesTransferred === PAGES).length;
  const durations = results.map((r) => r.durationMs).sort((a, b) => a - b);
  console.log(`\n${CONCURRENT} simultaneous loopback calls (${PAGES} pages each, our terminal both ends, UDP on 127.0.0.1, pacing off):`);
  console.log(`  senders OK ${sentOk}/${CONCURRENT}, receivers OK ${rxOk}/${CONCURRENT}, wall ${wall} ms, call time median ${durations[Math.floor(durations.length / 2)]} ms, max ${durations[durations.length - 1]} ms`);
  console.log(`  memory: RSS +${((peakRss - baseline.rss) / 2 ** 20).toFixed(1)} MiB at peak = ${((peakRss - baseline.rss) / CONCURRENT / 1024).toFixed(0)} KiB per call (both ends); heap +${((peakHeap - baseline.heapUsed) / 2 ** 20).toFixed(1)} MiB = ${((peakHeap - baseline.heapUsed) / CONCURRENT / 1024).toFixed(0)} KiB per call`);
  if (sentOk !== CONCURRENT || rxOk !== CONCURRENT) process.exitCode = 1;
}

async function main(): Promise<void> {
  harnessBinary();
  const tiff = sourceTiff("mr", "standard", PAGES);
  console.log(`T.38 benchmark: ${PAGES}-page fax (MR, standard, ECM), real time, against spandsp 0.0.6`);
  const ours = await oursToSpandsp(tiff);
  const theirs = await spandspToSpandsp(tiff);
  const ratio = ours.t38Ms / theirs.t38Ms;
  console.log(`  ours -> spandsp:    T.38 call ${(ours.t38Ms / 1000).toFixed(2)} s (SIP + T.38, as our caller saw it: ${(ours.totalMs / 1000).toFixed(2)} s) ${ours.ok ? "OK" : "FAILED"}`);
  console.log(`  spandsp -> spandsp: T.38 call ${(theirs.t38Ms / 1000).toFixed(2)} s ${theirs.ok ? "OK" : "FAILED"}`);
  console.log(`  ratio ours/spandsp: ${ratio.toFixed(3)} (target <= 1.05) ${ratio <= 1.05 ? "PASS" : "OVER TARGET"}`);
  if (!ours.ok || !theirs.ok) process.exitCode = 1;
  await loopbackLoad(tiff);
  process.exit(process.exitCode ?? 0);
}

void main();
