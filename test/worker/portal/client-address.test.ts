/** The address prefix on the sessions page: IPv4 /24, IPv6 /48, null for anything else; never throws (fuzzed). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ipPrefix } from "../../../src/portal/client-address";

describe("ipPrefix", () => {
  it("cuts addresses to their network prefix", () => {
    expect(ipPrefix("203.0.113.77")).toBe("203.0.113.0/24");
    expect(ipPrefix("2001:db8:85a3::8a2e:370:7334")).toBe("2001:db8:85a3::/48");
    expect(ipPrefix("2001:0db8:0001:0002:0003:0004:0005:0006")).toBe("2001:db8:1::/48");
    expect(ipPrefix("::1")).toBe("0:0:0::/48");
    expect(ipPrefix("::ffff:192.0.2.1")).toBe("0:0:0::/48");
    for (const bad of ["", "256.1.1.1", "1.2.3", "1:2:3", "1::2::3", "1.2.3.4:1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "gggg::1", "1:2:3:4:5:6:7::8", "x"]) expect(ipPrefix(bad), bad).toBeNull();
    expect(ipPrefix(undefined)).toBeNull();
  });

  it("gives the same prefix as the address generator's own network, for any address", () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(ipPrefix(ip)).toBe(`${ip.split(".").slice(0, 3).join(".")}.0/24`);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        expect(ipPrefix(groups.map((g) => g.toString(16)).join(":"))).toBe(`${groups.slice(0, 3).map((g) => g.toString(16)).join(":")}::/48`);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws and answers null or a prefix for any string", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV6(), fc.stringMatching(/^[0-9a-f:.]{0,50}$/)), (s) => {
        const p = ipPrefix(s);
        expect(p === null || /\/(24|48)$/.test(p)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        expect(ipPrefix(ip)).toMatch(/::\/48$/);
      }),
      { numRuns: 500 },
    );
  });
});
