/**
 * `npm run bench:ocr` (issue 14, "How it is shown"): the offline OCR engine (tesseract.js 7, eng 4.0.0_best_int,
 * as the OCR service runs it) beside Debian's `tesseract` CLI on the same pages in the same run, at fine and
 * standard resolution: character error rate (CER) and seconds per page; then the share of schema fields the
 * label extractor gets exactly, and that absent fields stay null; then, under `npm start`, the time from the
 * end of a live 1-page fax call (the sender's fax delivered, over the loopback gateway) to the fax.received and
 * fax.extracted webhooks, verified with standardwebhooks.
 *
 * Pages are labelled forms rendered here by the platform's own renderer (test/fixtures/fax-forms.ts). The CLI gets
 * the very PNG our engine gets (rows doubled on 204×98 pages, isolated pixels removed) with the same page
 * segmentation mode (4) and dpi, so the comparison is of the engines, not of the preparation. It runs twice: with
 * Debian's own English model (tesseract-ocr-eng, tessdata_fast) as the anchor, and with our model
 * (4.0.0_best_int, unpacked from @tesseract.js-data/eng): where ours differs from the anchor but equals the CLI on
 * our model, the difference is the model, not our engine path.
 * Our engine reads some pages twice and merges the readings word by word (second-reading.ts); the CLI reads once.
 * Then a 20-page fax through the engine's pool (as the OCR service runs it) against reading its pages one after
 * another (bench/ocr-pool.ts, which `npm run bench:ocr:pool` runs alone with more rounds).
 * Targets: CER ≤ 1% clean fine, ≤ 3.5% standard, never worse than the CLI; ≥ 90% of fields exact on clean fine
 * pages; 100% of absent fields null; fax.received ≤ 5 s and fax.extracted ≤ 10 s after the call.
 *
 * Environment: BENCH_FORMS (forms per resolution, default 5), BENCH_LIVE=0 skips the npm start part.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gunzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { bitmapToPng } from "../src/codec/node.js";
import type { ExtractionSchema } from "../src/inbound/extraction-schema.js";
import { extractByLabels } from "../src/inbound/label-extractor.js";
import { defaultEngineWorkers, prepareFaxPage, startFaxOcrEngine } from "../src/inbound/local-engine/engine.js";
import { secondPreparation } from "../src/inbound/local-engine/second-reading.js";
import { characterErrorRate, FORM_SCHEMA, makeFaxForm, type FaxForm } from "../test/fixtures/fax-forms.js";
import { startWebhookReceiver } from "../test/interop/gateway/lib.js";
import { startBenchInstance } from "./local-instance.mjs";
import { describePoolAgainstSerial, timePoolAgainstSerial, twentyPageFax } from "./ocr-pool.js";

const run = promisify(execFile);
const FORMS = Number(process.env.BENCH_FORMS ?? "5");
const schema = FORM_SCHEMA as unknown as ExtractionSchema;
const work = mkdtempSync(path.join(tmpdir(), "edgefax-bench-ocr-"));
// Our model for the CLI: the same traineddata tesseract.js loads, unpacked.
const ourModelDir = path.join(work, "tessdata-best-int");
mkdirSync(ourModelDir);
const require = createRequire(import.meta.url);
writeFileSync(
  path.join(ourModelDir, "eng.traineddata"),
  gunzipSync(readFileSync(path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int", "eng.traineddata.gz"))),
);

interface Row {
  set: string;
  pages: number;
  oursCer: number[];
  cliCer: number[];
  cliOurModelCer: number[];
  oursSeconds: number[];
  cliSeconds: number[];
  worseThanCli: number;
  /** Pages the engine read twice (second-reading.ts). */
  readTwice: number;
}

async function cliRead(form: FaxForm, model: "debian" | "ours" = "debian"): Promise<{ text: string; seconds: number } | null> {
  const file = path.join(work, `${form.name}.png`);
  writeFileSync(file, bitmapToPng(prepareFaxPage(form.page)));
  const started = performance.now();
  try {
    const modelArgs = model === "ours" ? ["--tessdata-dir", ourModelDir] : [];
    const { stdout } = await run("tesseract", [file, "stdout", ...modelArgs, "-l", "eng", "--psm", "4", "--dpi", "204"], { maxBuffer: 10 * 1024 * 1024 });
    return { text: stdout, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const pct = (x: number) => (Number.isNaN(x) ? "n/a" : `${(x * 100).toFixed(2)}%`);
const sec = (x: number) => (Number.isNaN(x) ? "n/a" : `${x.toFixed(2)} s`);

const engine = await startFaxOcrEngine();
const rows: Row[] = [];
let cliMissing = false;
const fields = { printedExact: 0, printed: 0, absentNull: 0, absent: 0, misses: [] as string[] };
for (const [set, resolution, noisy] of [
  ["fine, clean", "fine", false],
  ["standard, clean", "standard", false],
  ["fine, line noise", "fine", true],
] as const) {
  const row: Row = { set, pages: 0, oursCer: [], cliCer: [], cliOurModelCer: [], oursSeconds: [], cliSeconds: [], worseThanCli: 0, readTwice: 0 };
  for (let seed = 1; seed <= FORMS; seed++) {
    const form = await makeFaxForm(seed, resolution, noisy);
    const started = performance.now();
    const ours = await engine.read(form.page);
    row.oursSeconds.push((performance.now() - started) / 1000);
    if (secondPreparation(form.page, prepareFaxPage(form.page), 204)) row.readTwice++;
    const oursCer = characterErrorRate(form.lines, ours.text);
    row.oursCer.push(oursCer);
    const cli = await cliRead(form);
    if (cli) {
      const cliCer = characterErrorRate(form.lines, cli.text);
      row.cliCer.push(cliCer);
      row.cliSeconds.push(cli.seconds);
      if (oursCer > cliCer) row.worseThanCli++;
      row.cliOurModelCer.push(characterErrorRate(form.lines, (await cliRead(form, "ours"))!.text));
    } else cliMissing = true;
    row.pages++;
    if (resolution === "fine" && !noisy) {
      const data = extractByLabels(schema, ours.text);
      for (const [name, expected] of Object.entries(form.fields)) {
        const got = data[name];
        if (expected === null) {
          fields.absent++;
          if (got === null) fields.absentNull++;
          else fields.misses.push(`${form.name} ${name}: expected null, got ${JSON.stringify(got)}`);
        } else {
          fields.printed++;
          if (got === expected) fields.printedExact++;
          else fields.misses.push(`${form.name} ${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
        }
      }
    }
  }
  rows.push(row);
}

// A 20-page fax as the OCR service gets it: all pages at once into the pool, against one page after another.
const poolAgainstSerial = await timePoolAgainstSerial(engine, await twentyPageFax());
await engine.stop();
rmSync(work, { recursive: true, force: true });

console.log(`\nOCR of labelled fax forms (${FORMS} per set), ${engine.name} vs Debian tesseract CLI (same prepared PNG, --psm 4 --dpi 204)`);
console.log("| pages | n | read twice | CER ours | CER CLI | ours/CLI CER | CER CLI, our model | s/page ours | s/page CLI | ours/CLI time | pages ours worse |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const [ours, cli] = [mean(r.oursCer), mean(r.cliCer)];
  // Equal error rates (0 and 0 included) are a ratio of 1; any error where the CLI made none is "inf".
  const ratio = ours === cli ? 1 : ours / cli;
  const timeRatio = mean(r.oursSeconds) / mean(r.cliSeconds);
  console.log(
    `| ${r.set} | ${r.pages} | ${r.readTwice} | ${pct(mean(r.oursCer))} (max ${pct(Math.max(...r.oursCer))}) | ${pct(mean(r.cliCer))} | ${Number.isNaN(ratio) ? "n/a" : Number.isFinite(ratio) ? ratio.toFixed(2) : "inf"} | ${pct(mean(r.cliOurModelCer))} | ${sec(mean(r.oursSeconds))} | ${sec(mean(r.cliSeconds))} | ${Number.isFinite(timeRatio) ? timeRatio.toFixed(2) : "n/a"} | ${cliMissing ? "n/a" : `${r.worseThanCli}/${r.pages}`} |`,
  );
}
if (cliMissing) console.log("(the tesseract CLI is not installed: apt-get install -y tesseract-ocr tesseract-ocr-eng)");
console.log(`\n${describePoolAgainstSerial(poolAgainstSerial, defaultEngineWorkers(), 1)} (npm run bench:ocr:pool for more rounds)`);
console.log(`\nFields extracted exactly on clean fine pages: ${fields.printedExact}/${fields.printed} (${pct(fields.printedExact / fields.printed)}); absent fields null: ${fields.absentNull}/${fields.absent} (${pct(fields.absentNull / fields.absent)})`);
for (const miss of fields.misses) console.log(`  miss: ${miss}`);

if (process.env.BENCH_LIVE !== "0") {
  // ---- npm start: a live fax over the loopback gateway to a number with a schema ----
  const hooks = await startWebhookReceiver();
  const instance = await startBenchInstance({ name: "ocr", onCleanup: () => void hooks.close() });
  const { createKey } = await import("../scripts/local-platform.mjs");
  const call = async (key: string, pathname: string, init: { method?: string; json?: unknown } = {}) => {
    const res = await fetch(`${instance.origin}${pathname}`, {
      method: init.method ?? (init.json !== undefined ? "POST" : "GET"),
      headers: { authorization: `Bearer ${key}`, ...(init.json !== undefined ? { "content-type": "application/json" } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${text}`);
    return JSON.parse(text) as any;
  };
  const senderKey = await createKey(instance.stateDir, { live: true, rateLimit: 100_000 });
  const receiverKey = await createKey(instance.stateDir, { live: true, rateLimit: 100_000 });
  await call(senderKey, "/v1/numbers", { json: {} });
  const number = await call(receiverKey, "/v1/numbers", { json: {} });
  await call(receiverKey, `/v1/numbers/${number.id}/extraction-schema`, { method: "PUT", json: { extraction_schema: FORM_SCHEMA } });
  hooks.addSecret((await call(receiverKey, "/v1/webhooks", { json: { url: hooks.url, event_types: ["fax.received", "fax.extracted"] } })).secret);
  // One fine and one standard fax: a standard page is read twice (./src/inbound/local-engine/second-reading.ts),
  // so its latency is measured too, not inferred from the fine one.
  const rows: string[] = [];
  let failedLive = false;
  for (const resolution of ["fine", "standard"] as const) {
    const since = hooks.hooks.length;
    const form = await makeFaxForm(11, resolution);
    const sent = await call(senderKey, "/v1/faxes", { json: { to: number.number, documents: [{ content: Buffer.from(form.pdf).toString("base64"), content_type: "application/pdf" }], options: { max_attempts: 1, resolution } } });
    const deadline = Date.now() + 180_000;
    let delivered: any = null;
    const mine = () => hooks.hooks.slice(since);
    while (Date.now() < deadline && !(mine().some((e) => e.type === "fax.extracted") && delivered)) {
      const fax = await call(senderKey, `/v1/faxes/${sent.id}`);
      if (["delivered", "failed"].includes(fax.status)) delivered = fax;
      await new Promise((r) => setTimeout(r, 250));
    }
    const received = mine().find((e) => e.type === "fax.received");
    const extracted = mine().find((e) => e.type === "fax.extracted");
    if (!delivered || delivered.status !== "delivered" || !received || !extracted) {
      console.log(`\nnpm start: the live ${resolution} fax did not complete (sender ${delivered?.status ?? "unknown"}; events ${mine().map((e) => e.type).join(", ") || "none"})`);
      failedLive = true;
      break;
    }
    const callEnd = Date.parse(delivered.completed_at);
    const exact = Object.entries(form.fields).filter(([k, v]) => (extracted.eventData.extracted_data as Record<string, unknown> | undefined)?.[k] === v).length;
    rows.push(`| ${resolution} | fax.received (ocr ${String(received.eventData.ocr_status)}, ${String(received.eventData.ocr_text ?? "").length} chars of text) | ${((received.at - callEnd) / 1000).toFixed(2)} s | ${received.verified ? "verified" : "NOT verified"} | 5 s |`);
    rows.push(`| ${resolution} | fax.extracted (${exact}/${Object.keys(form.fields).length} fields as printed) | ${((extracted.at - callEnd) / 1000).toFixed(2)} s | ${extracted.verified ? "verified" : "NOT verified"} | 10 s |`);
  }
  await instance.cleanup();
  if (failedLive) process.exit(1);
  console.log(`\nnpm start, a live 1-page form over the loopback gateway to a number with a schema, at each resolution:`);
  console.log(`| resolution | event | after the call ended | signature (standardwebhooks) | target |`);
  console.log(`|---|---|---|---|---|`);
  for (const row of rows) console.log(row);
}
process.exit(0);
