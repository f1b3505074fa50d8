/** The audit and usage pages' GET filters (src/portal/list-query.ts): only checked values pass, fuzzed with any query. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../../src/audit/catalog";
import { auditQuery, dayStart, usageQuery, USAGE_MAX_DAYS } from "../../../src/portal/list-query";

const NOW = Date.parse("2026-12-06T17:00:00Z");
const DAY_MS = 86_400_000;

describe("the filter queries", () => {
  it("take real days only", () => {
    expect(dayStart("2026-12-06")).toBe(Date.parse("2026-12-06T00:00:00Z"));
    for (const bad of ["2026-02-31", "2026-13-01", "2026-12-6", "1999-12-31", "2026-12-06T00:00", "", undefined]) expect(dayStart(bad), String(bad)).toBeNull();
    expect(dayStart("2028-02-29")).not.toBeNull();
  });

  it("turn the audit form into the store's filter, a day range [from, to + 1 day)", () => {
    expect(auditQuery({ action: "fax.send", actor: "mem_1", target: "fax_2", from: "2026-11-01", to: "2026-11-30" })).toEqual({
      filter: { action: "fax.send", actorId: "mem_1", targetId: "fax_2", from: "2026-11-01T00:00:00.000Z", to: "2026-12-01T00:00:00.000Z" },
      values: { action: "fax.send", actor: "mem_1", target: "fax_2", from: "2026-11-01", to: "2026-11-30" },
      problems: [],
    });
    const swapped = auditQuery({ from: "2026-11-30", to: "2026-11-01", action: "toString" });
    expect(swapped.filter).toEqual({});
    expect(swapped.problems).toHaveLength(2);
  });

  it("default usage to this month so far, by day, and cap a range at a year", () => {
    expect(usageQuery({}, NOW).filter).toEqual({ from: "2026-12-01T00:00:00.000Z", to: "2026-12-07T00:00:00.000Z", groupBy: "day" });
    const long = usageQuery({ from: "2020-01-01", to: "2026-12-01", group_by: "number" }, NOW);
    expect(Date.parse(long.filter.to) - Date.parse(long.filter.from)).toBe(USAGE_MAX_DAYS * DAY_MS);
    expect(long.filter.groupBy).toBe("number");
    expect(long.problems).toHaveLength(1);
  });

  it("never throw, and pass on only catalog actions, plain ids, ordered ISO ranges and known groupings, for any query", () => {
    const value = fc.option(fc.oneof(fc.string(), fc.constantFrom("2026-01-01", "2026-02-30", "fax.send", "__proto__", "constructor", "day", "number", "mem_01")), { nil: undefined });
    const query = fc.record({ action: value, actor: value, target: value, from: value, to: value, group_by: value });
    fc.assert(
      fc.property(query, fc.integer({ min: Date.parse("2001-01-01"), max: Date.parse("2998-01-01") }), (q, now) => {
        const audit = auditQuery(q).filter;
        if (audit.action !== undefined) expect(Object.hasOwn(AUDIT_ACTIONS, audit.action)).toBe(true);
        for (const id of [audit.actorId, audit.targetId]) if (id !== undefined) expect(id).toMatch(/^[A-Za-z0-9_.:-]{1,64}$/);
        if (audit.from && audit.to) expect(audit.from < audit.to).toBe(true);
        const usage = usageQuery(q, now).filter;
        expect(["day", "number", "external_user"]).toContain(usage.groupBy);
        const span = Date.parse(usage.to) - Date.parse(usage.from);
        expect(span).toBeGreaterThan(0);
        expect(span).toBeLessThanOrEqual(USAGE_MAX_DAYS * DAY_MS);
      }),
      { numRuns: 3000 },
    );
  });
});
