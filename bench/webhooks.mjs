// `npm run bench:webhooks`: from fax state changes to signed webhook deliveries on `npm start`'s server
// (wrangler dev: local D1, Durable Objects, Queues). Test faxes to +15550100001 each emit four events
// (fax.queued, fax.sending, fax.page_sent, fax.delivered); every one is delivered to a receiver on
// 127.0.0.1 (node:http), which verifies the signature with `standardwebhooks` and answers 200.
// Latency: from the event's created_at (the FaxObject's state change) to the receiver getting the request.
// Target (issue 5): p50 under 1 s locally.
//
// It starts its own instance on a fresh temporary state directory and a free port, and stops it at the end.
// Environment: BENCH_FAXES (default 100), BENCH_CONCURRENCY (faxes in flight while sending, default 10),
// BENCH_JSON=1 (also print the results as JSON).
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { sleep, startBenchInstance } from "./local-instance.mjs";

const faxes = positive(process.env.BENCH_FAXES ?? "100", "BENCH_FAXES");
const concurrency = positive(process.env.BENCH_CONCURRENCY ?? "10", "BENCH_CONCURRENCY");
const EVENTS_PER_FAX = 4;
const DRAIN_TIMEOUT_MS = 60_000;

function positive(raw, name) {
  const n = Number(raw);
  if (!(Number.isInteger(n) && n > 0)) {
    console.error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

// ---- the receiver ----

let verify = null;
const deliveries = new Map(); // webhook-id -> { latencyMs, at, type }
let duplicates = 0;
let unverified = 0;
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const at = Date.now();
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const envelope = verify.verify(body, req.headers);
      const id = req.headers["webhook-id"];
      if (deliveries.has(id)) duplicates += 1;
      else deliveries.set(id, { latencyMs: at - Date.parse(envelope.created_at), at, type: envelope.type, eventId: envelope.id });
      res.writeHead(200).end("ok");
    } catch {
      unverified += 1;
      res.writeHead(400).end("bad signature");
    }
  });
});
await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hooks`;

// ---- the instance ----

const { origin, createKey, cleanup, fail } = await startBenchInstance({ name: "webhooks", onCleanup: () => receiver.close() });

// ---- the run ----

const key = await createKey().catch((error) => fail(`key:create failed: ${error.message}`));
const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };

const endpointResponse = await fetch(`${origin}/v1/webhooks`, { method: "POST", headers: auth, body: JSON.stringify({ url: receiverUrl }) });
if (endpointResponse.status !== 201) await fail(`POST /v1/webhooks answered ${endpointResponse.status}: ${await endpointResponse.text()}`);
const endpoint = await endpointResponse.json();
verify = new Webhook(endpoint.secret);

const faxIds = [];
// Warm-up: one fax end to end, so the first measured events do not pay for cold isolates.
await sendFax();
await waitFor(() => deliveries.size >= EVENTS_PER_FAX, 30_000);
deliveries.clear();
faxIds.length = 0;

async function sendFax() {
  const res = await fetch(`${origin}/v1/faxes`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ to: "+15550100001", cover_page: { subject: "webhook benchmark" } }),
  });
  if (res.status !== 202) await fail(`POST /v1/faxes answered ${res.status}: ${await res.text()}`);
  faxIds.push((await res.json()).id);
}

/** The events that really happened (each fax's timeline) and how many faxes are not final yet. */
async function happened() {
  const events = new Set();
  let open = 0;
  for (const id of faxIds) {
    const fax = await (await fetch(`${origin}/v1/faxes/${id}`, { headers: auth })).json();
    if (!["delivered", "failed", "canceled"].includes(fax.status)) open += 1;
    const timeline = await (await fetch(`${origin}/v1/faxes/${id}/events`, { headers: auth })).json();
    for (const e of timeline.data) events.add(e.id);
  }
  return { events, open };
}

async function waitFor(done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

console.error(`bench:webhooks  ${faxes} faxes (${faxes * EVENTS_PER_FAX} events), ${concurrency} POSTs in flight ...`);
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < faxes) {
      next += 1;
      await sendFax();
    }
  }),
);
const sent = Date.now();
const expected = faxes * EVENTS_PER_FAX;
await waitFor(() => deliveries.size >= expected, DRAIN_TIMEOUT_MS);
const last = Math.max(...[...deliveries.values()].map((d) => d.at));
// Where the time goes: the delivery log's first attempt time against the event's created_at.
const queueWait = [];
const eventTimes = new Map([...deliveries.values()].map((d) => [d.eventId, d]));
let cursor = null;
do {
  const page = await (await fetch(`${origin}/v1/webhooks/${endpoint.id}/deliveries?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { headers: auth })).json();
  for (const d of page.data) {
    const seen = eventTimes.get(d.event_id);
    if (seen && d.attempts[0]) queueWait.push(Date.parse(d.attempts[0].attempted_at) - (seen.at - seen.latencyMs));
  }
  cursor = page.next_cursor;
} while (cursor);
queueWait.sort((a, b) => a - b);

// Lossless check: every event a fax emitted (its timeline in D1) reached the receiver. A fax that is
// not final yet has emitted fewer than four events; those it did emit must still have arrived.
const truth = await happened();
const deliveredEvents = new Set([...deliveries.values()].map((d) => d.eventId));
const lost = [...truth.events].filter((id) => !deliveredEvents.has(id));
const drained = lost.length === 0;
if (deliveries.size < expected) {
  // Say where the missing ones are before the instance goes away.
  const log = await (await fetch(`${origin}/v1/webhooks/${endpoint.id}/deliveries?limit=100`, { headers: auth })).json();
  const open = log.data.filter((d) => d.status !== "succeeded");
  console.error(`bench:webhooks  ${expected - deliveries.size} deliveries missing; deliveries not succeeded (latest 100 scanned):`);
  for (const d of open) console.error(`  ${d.id} ${d.event_type} ${d.status} attempts=${d.attempt_count} next=${d.next_retry_at} ${JSON.stringify(d.attempts.at(-1) ?? null)}`);
  const list = await (await fetch(`${origin}/v1/faxes?limit=100`, { headers: auth })).json();
  const counts = {};
  for (const f of list.data) counts[f.status] = (counts[f.status] ?? 0) + 1;
  console.error(`  faxes by status (latest 100): ${JSON.stringify(counts)}`);
  for (const f of list.data.filter((f) => !["delivered", "failed", "canceled"].includes(f.status))) {
    const events = await (await fetch(`${origin}/v1/faxes/${f.id}/events`, { headers: auth })).json();
    console.error(`  ${f.id} ${f.status} updated ${f.updated_at}: events ${events.data.map((e) => e.type).join(", ")}`);
  }
  if (process.env.BENCH_LOG) console.error(log);
}
await cleanup();

// ---- report ----

const latencies = [...deliveries.values()].map((d) => d.latencyMs).sort((a, b) => a - b);
const pct = (p) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]);
const seconds = (last - started) / 1000;
const result = {
  faxes,
  deliveries: deliveries.size,
  expected,
  duplicates,
  unverified,
  posting_s: (sent - started) / 1000,
  total_s: seconds,
  deliveries_per_s: deliveries.size / seconds,
  p50_ms: pct(50),
  p90_ms: pct(90),
  p99_ms: pct(99),
  max_ms: latencies.at(-1),
};
const byType = {};
for (const d of deliveries.values()) (byType[d.type] ??= []).push(d.latencyMs);
const medians = Object.entries(byType)
  .map(([type, list]) => `${type} ${list.sort((a, b) => a - b)[Math.floor(list.length / 2)]} ms`)
  .join(", ");
const fmt = (n, digits = 0) => (n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits));
console.log("");
console.log(`edgefax bench:webhooks — local mode (wrangler dev), Node ${process.versions.node}`);
console.log(`faxes ${faxes}, signed deliveries ${result.deliveries}/${expected} (duplicates ${duplicates}, bad signatures ${unverified})`);
console.log(`events emitted ${truth.events.size}, delivered ${truth.events.size - lost.length}, lost ${lost.length}; faxes not final after the run: ${truth.open}`);
console.log(`throughput  ${fmt(result.deliveries_per_s, 1)} deliveries/s  (${fmt(result.total_s, 1)} s from the first POST to the last delivery)`);
console.log(`latency     p50 ${fmt(result.p50_ms)} ms   p90 ${fmt(result.p90_ms)} ms   p99 ${fmt(result.p99_ms)} ms   max ${fmt(result.max_ms)} ms   (event created_at → receiver)`);
console.log(`p50 by type ${medians}`);
console.log(`of which state change → first attempt starts (outbox, queue, fan-out): p50 ${queueWait[Math.floor(queueWait.length / 2)]} ms, p99 ${queueWait[Math.max(0, Math.ceil(queueWait.length * 0.99) - 1)]} ms`);
const checks = [
  [`every emitted event delivered (${truth.events.size - lost.length}/${truth.events.size})`, drained],
  [`every signature verifies with standardwebhooks (${unverified} bad)`, unverified === 0],
  [`p50 < 1000 ms (${fmt(result.p50_ms)} ms)`, result.p50_ms < 1000],
];
for (const [label, ok] of checks) console.log(`${ok ? "met   " : "MISSED"}  ${label}`);
if (process.env.BENCH_JSON) console.log(JSON.stringify(result, null, 2));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
