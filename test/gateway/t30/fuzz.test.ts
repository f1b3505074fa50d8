/**
 * Random IFP sequences into a session (property tests with fast-check): the engine never throws,
 * never reports an internal error, and always ends, within a bounded number of fake-clock steps,
 * with a platform failure code or success.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { T30_INDICATORS, T38_DATA_TYPES, T38_FIELD_TYPES, type IfpPacket, type T38Port } from "../../../src/gateway/t38/ifp-types.js";
import { FakeClock, startT30Session, type T30Outcome } from "../../../src/gateway/t30/index.js";
import { FCF, buildFrame, toT38Octets } from "../../../src/gateway/t30/frames.js";
import { loadCodecCoder } from "../../../src/gateway/t30/page-coding.js";
import { isFaxFailureCode } from "../../../src/errors/fax-failures.js";
import { testPages } from "./pages.js";

const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });

const indicator: fc.Arbitrary<IfpPacket> = fc.constantFrom(...T30_INDICATORS).map((i) => ({ kind: "indicator", indicator: i }));

const rawData: fc.Arbitrary<IfpPacket> = fc.record({
  dataType: fc.constantFrom(...T38_DATA_TYPES),
  fields: fc.array(fc.record({ type: fc.constantFrom(...T38_FIELD_TYPES), data: fc.option(bytes(40), { nil: undefined }) }), { minLength: 0, maxLength: 4 }),
}).map((d) => ({ kind: "data", dataType: d.dataType, fields: d.fields.map((f) => (f.data ? { type: f.type, data: f.data } : { type: f.type })) }));

/** Well-formed T.30 frames with random FIFs: these reach the state machine's handlers. */
const t30Frame: fc.Arbitrary<IfpPacket> = fc
  .record({
    fcf: fc.constantFrom(...Object.values(FCF)),
    fif: bytes(36),
    x: fc.boolean(),
    fast: fc.boolean(),
    end: fc.constantFrom("hdlc-fcs-OK", "hdlc-fcs-OK-sig-end", "hdlc-fcs-BAD") ,
  })
  .map(({ fcf, fif, x, fast, end }) => ({
    kind: "data",
    dataType: fast ? "v17-14400" : "v21",
    fields: [{ type: "hdlc-data", data: toT38Octets(buildFrame(fcf, fif, { x })) }, { type: end }],
  }));

const nonEcm: fc.Arbitrary<IfpPacket> = fc.record({ data: bytes(300), end: fc.boolean() }).map(({ data, end }) => ({
  kind: "data",
  dataType: "v17-14400",
  fields: end ? [{ type: "t4-non-ecm-data", data }, { type: "t4-non-ecm-sig-end" }] : [{ type: "t4-non-ecm-data", data: data.length ? data : Uint8Array.of(0) }],
}));

const packet = fc.oneof({ arbitrary: t30Frame, weight: 4 }, { arbitrary: indicator, weight: 2 }, { arbitrary: nonEcm, weight: 2 }, { arbitrary: rawData, weight: 1 });

const MAX_STEPS = 50_000;

describe("fuzzing the receive side", () => {
  it("random IFP sequences never break a session and it always ends", async () => {
    const coder = await loadCodecCoder();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(packet, fc.integer({ min: 0, max: 4000 })), { maxLength: 50 }),
        fc.constantFrom("sender", "receiver") as fc.Arbitrary<"sender" | "receiver">,
        fc.boolean(),
        fc.boolean(),
        async (script, role, callingParty, ecm) => {
          const clock = new FakeClock({ autoRun: false });
          let handler: ((p: IfpPacket) => void) | null = null;
          const port: T38Port = { send() {}, onPacket: (h) => (handler = h) };
          const session = startT30Session({ role, callingParty, port, clock, coder, ecm, pages: testPages(1, "standard", 40) });
          let outcome: T30Outcome | null = null;
          void session.outcome.then((o) => (outcome = o));
          await new Promise((r) => setImmediate(r));
          let at = 0;
          for (const [p, gap] of script) {
            at += gap;
            clock.setTimer(at, () => handler?.(p));
          }
          let steps = 0;
          while (steps < MAX_STEPS && clock.step()) steps++;
          await new Promise((r) => setImmediate(r));
          expect(steps).toBeLessThan(MAX_STEPS);
          expect(outcome).not.toBeNull();
          const o = outcome as unknown as T30Outcome;
          expect(o.t30Result).not.toMatch(/Internal error/);
          if (!o.success) expect(o.failureCode !== null && isFaxFailureCode(o.failureCode)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("fuzzing a lossy line between our sender and receiver", () => {
  it("with packets dropped at random, both sides end, and a confirmed page is the page sent", async () => {
    const { runPair } = await import("./harness.js");
    const pages = testPages(2, "standard", 120);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.boolean(), fc.constantFrom(0.02, 0.05, 0.15), async (seed, ecm, lossRate) => {
        let x = seed;
        const rnd = () => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return x / 4294967296;
        };
        const r = await runPair({ role: "sender", callingParty: true, ecm, pages }, { role: "receiver", callingParty: false }, {
          filter: (p) => (rnd() < lossRate ? null : p),
          maxSteps: MAX_STEPS * 4,
        });
        for (const o of [r.sender, r.receiver]) {
          expect(o.t30Result).not.toMatch(/Internal error|stalled/);
          if (!o.success) expect(o.failureCode !== null && isFaxFailureCode(o.failureCode)).toBe(true);
        }
        // Every page the sender saw confirmed was received, in order: exactly with ECM; without ECM
        // lost data costs rows, and a page is accepted only with a few bad rows (as fax machines do).
        expect(r.receiver.pages.length).toBeGreaterThanOrEqual(r.sender.pagesTransferred);
        r.receiver.pages.forEach((p, i) => {
          if (ecm) expect(Buffer.from(p.bitmap.data).equals(Buffer.from(pages[i]!.bitmap.data))).toBe(true);
          else {
            // A lost chunk can also swallow whole rows (white rows are a few bits each), which no
            // non-ECM receiver can notice; it can only count the rows that fail to decode.
            expect(p.bitmap.height).toBeGreaterThan(0);
            expect(p.badRows).toBeLessThanOrEqual(p.bitmap.height / 20);
          }
        });
        if (r.sender.success) expect(r.receiver.pages).toHaveLength(2);
      }),
      { numRuns: 60 },
    );
  });
});
