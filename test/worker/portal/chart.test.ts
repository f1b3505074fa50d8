/** The usage chart's axis (src/portal/chart.tsx): a round top at or above the largest bar, with a whole-count middle line. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { axisMax } from "../../../src/portal/chart";

describe("axisMax", () => {
  it("rounds up to an even 2, 5 or 10 times a power of ten", () => {
    expect([0, 1, 2, 3, 7, 10, 11, 30, 99, 101].map(axisMax)).toEqual([2, 2, 2, 10, 10, 10, 20, 50, 100, 200]);
  });

  it("is never below the largest value nor more than ten times it", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 10_000_000 }), (n) => {
        const top = axisMax(n);
        expect(top).toBeGreaterThanOrEqual(n);
        expect(top).toBeLessThanOrEqual(n * 10);
        expect(top % 2).toBe(0);
      }),
    );
  });
});
