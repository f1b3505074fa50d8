// The Stripe-Signature parser and check (issue 16 point 3), fuzzed: any header is an answer, never an exception.
import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseStripeSignature, verifyStripeSignature } from "../../../src/billing/payments/stripe";

const SECRET = "whsec_fuzz_0123456789";
const NOW = 1_767_225_600;

describe("Stripe-Signature", () => {
  it("parses t and every v1, ignoring other schemes and junk", () => {
    const v1 = "a".repeat(64);
    expect(parseStripeSignature(`t=${NOW},v1=${v1},v0=${"b".repeat(64)},v1=${"c".repeat(64)}`)).toEqual({ timestamp: NOW, signatures: [v1, "c".repeat(64)] });
    expect(parseStripeSignature(`v1=${v1}`)).toBeNull();
    expect(parseStripeSignature(`t=${NOW}`)).toBeNull();
    expect(parseStripeSignature(`t=12x,v1=${v1}`)).toBeNull();
  });

  it("any header string is parsed or refused without throwing, and never verifies a payload it was not made for", async () => {
    const part = fc.oneof(
      fc.string(),
      fc.constantFrom("t=", "v1=", "v0=", ",", "=", " "),
      fc.integer({ min: 0, max: 2 * NOW }).map((n) => `t=${n}`),
      fc.stringMatching(/^[0-9a-f]{64}$/).map((h) => `v1=${h}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 8 }).map((p) => p.join(",")), fc.string(), async (header, payload) => {
        expect(() => parseStripeSignature(header)).not.toThrow();
        expect(await verifyStripeSignature(SECRET, header, payload, NOW)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("a real signature verifies within the tolerance only, and only for its payload", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.integer({ min: -600, max: 600 }), async (payload, skew) => {
        const t = NOW + skew;
        const header = `t=${t},v1=${createHmac("sha256", SECRET).update(`${t}.${payload}`).digest("hex")}`;
        expect(await verifyStripeSignature(SECRET, header, payload, NOW)).toBe(Math.abs(skew) <= 300);
        expect(await verifyStripeSignature(SECRET, header, `${payload}x`, NOW)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
