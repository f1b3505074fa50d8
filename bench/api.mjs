// `npm run bench:api`: the API's throughput and latency on `npm start`'s server (workerd through Miniflare, local
// D1/R2/Durable Objects), measured with autocannon at 50 connections against a bare route on the same
// Worker in the same run:
//   GET /health             bare Hono route, no auth, no storage: the ceiling of this Worker here
//   GET /v1/faxes/{id}      auth (one call to the key's ApiKeyObject; an isolate's first request of the key:
//                           a D1 lookup), rate limit (leased from a Durable Object), one call to
//                           the fax's FaxObject (its JSON, serialized once per state version)
//   POST /v1/faxes          1-page PDF as base64 JSON, test mode, to +15550100001 (each one is a real fax)
// Target (the backbone issue): GET at least half the bare route's requests/s, GET p99 under 100 ms.
//
// It starts its own instance on a fresh temporary state directory and a free port, and stops it at the end.
// Environment: BENCH_SECONDS (per scenario, default 10), BENCH_CONNECTIONS (default 50),
// BENCH_SCENARIOS (comma-separated subset of health,get,post), BENCH_JSON=1 (also print the results as JSON).
import autocannon from "autocannon";
import { sleep, startBenchInstance } from "./local-instance.mjs";
import { PDFDocument, StandardFonts } from "pdf-lib";

const seconds = positive(process.env.BENCH_SECONDS ?? "10", "BENCH_SECONDS");
const connections = positive(process.env.BENCH_CONNECTIONS ?? "50", "BENCH_CONNECTIONS");
const only = new Set((process.env.BENCH_SCENARIOS ?? "health,get,post").split(",").map((s) => s.trim()));
const WARMUP_SECONDS = 2;

function positive(raw, name) {
  const n = Number(raw);
  if (!(n > 0)) {
    console.error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

// ---- the instance ----

const { origin, createKey, cleanup, fail } = await startBenchInstance({ name: "api" });

async function onePagePdfBase64() {
  const doc = await PDFDocument.create();
  const page = doc.addPage([612, 792]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText("edgefax benchmark: one page.", { x: 72, y: 700, size: 14, font });
  return Buffer.from(await doc.save()).toString("base64");
}

// ---- the runs ----

function run(opts) {
  return autocannon({ connections, timeout: 10, ...opts });
}

function summarize(name, result) {
  return {
    scenario: name,
    requests_per_s: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    total: result.requests.total,
    errors: result.errors + result.timeouts,
    non_2xx: result.non2xx,
    // Which statuses other than 2xx came back, so a failure says what it was (e.g. {"500": 1}).
    other_statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith("2")).map(([code, v]) => [code, v.count])),
  };
}

const key = await createKey().catch((error) => fail(`key:create failed: ${error.message}`));
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
const pdf = await onePagePdfBase64();
const postBody = JSON.stringify({ to: "+15550100001", documents: [{ content: pdf, content_type: "application/pdf" }] });

const created = await fetch(`${origin}/v1/faxes`, { method: "POST", headers: auth, body: postBody });
if (created.status !== 202) await fail(`POST /v1/faxes answered ${created.status}: ${await created.text()}`);
const fax = await created.json();

const scenarios = [
  { id: "health", name: "GET /health (bare)", opts: { url: `${origin}/health` } },
  { id: "get", name: "GET /v1/faxes/{id}", opts: { url: `${origin}/v1/faxes/${fax.id}`, headers: auth } },
  // Last: every POST is a real fax whose rendering and simulated call keep the machine busy afterwards.
  { id: "post", name: "POST /v1/faxes (1-page PDF)", opts: { url: `${origin}/v1/faxes`, method: "POST", headers: auth, body: postBody } },
].filter((s) => only.has(s.id));

const rows = [];
for (const scenario of scenarios) {
  console.error(`bench:api  ${scenario.name}: warm-up ${WARMUP_SECONDS} s, then ${seconds} s at ${connections} connections`);
  if (scenario.id !== "post") await run({ ...scenario.opts, duration: WARMUP_SECONDS });
  const result = await run({ ...scenario.opts, duration: seconds });
  rows.push({ id: scenario.id, ...summarize(scenario.name, result) });
}

await cleanup();

// ---- report ----

const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
const fmt = (n, digits = 0) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));
const table = [
  ["scenario", "req/s", "p50 ms", "p99 ms", "max ms", "requests", "errors", "non-2xx"],
  ...rows.map((r) => [r.scenario, fmt(r.requests_per_s), fmt(r.p50_ms), fmt(r.p99_ms), fmt(r.max_ms), String(r.total), String(r.errors), String(r.non_2xx)]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
console.log("");
console.log(`edgefax bench:api — ${connections} connections, ${seconds} s per scenario, local mode (workerd through Miniflare), Node ${process.versions.node}`);
console.log(line(table[0]));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const row of table.slice(1)) console.log(line(row));
console.log("");

const checks = [];
if (byId.health) {
  for (const id of ["get", "post"]) {
    if (byId[id]) console.log(`${id.toUpperCase()}/bare throughput ratio: ${fmt(byId[id].requests_per_s / byId.health.requests_per_s, 2)}`);
  }
}
if (byId.get && byId.health) {
  const ratio = byId.get.requests_per_s / byId.health.requests_per_s;
  checks.push([`GET ≥ 0.5× bare throughput (${fmt(ratio, 2)}×)`, ratio >= 0.5]);
}
if (byId.get) checks.push([`GET p99 < 100 ms (${fmt(byId.get.p99_ms)} ms)`, byId.get.p99_ms < 100]);
for (const row of rows) checks.push([`${row.scenario}: no errors, all 2xx`, row.errors === 0 && row.non_2xx === 0]);
for (const [label, ok] of checks) console.log(`${ok ? "met   " : "MISSED"}  ${label}`);
for (const row of rows) if (row.non_2xx > 0) console.log(`        ${row.scenario}: statuses ${JSON.stringify(row.other_statuses)}`);
if (process.env.BENCH_JSON) console.log(JSON.stringify(rows, null, 2));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
