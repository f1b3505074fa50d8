import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex, toHex } from "../../src/lib/crypto";

describe("toHex and sha256Hex", () => {
  it("writes two lowercase digits per byte, in order, for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const expected = Array.from(bytes, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
        expect(toHex(bytes)).toBe(expected);
        expect(toHex(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))).toBe(expected);
      }),
    );
  });

  it("a Uint8Array view into a larger buffer is read from its own offset", () => {
    const whole = new Uint8Array([0xff, 0x00, 0x0f, 0xa0, 0xff]);
    expect(toHex(whole.subarray(1, 4))).toBe("000fa0");
  });

  it("SHA-256 test vectors (FIPS 180-4 examples)", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
