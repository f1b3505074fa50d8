/**
 * The few ALIGNED PER (ITU-T X.691) building blocks T.38 needs: single bits, small constrained
 * whole numbers, octet alignment, and length determinants (X.691 §11.9). Readers never throw past
 * their caller: they throw `PerError`, which the IFP/UDPTL decoders turn into a `null` result.
 */

export class PerError extends Error {}

export class BitWriter {
  private bytes: number[] = [];
  private bitPos = 0; // bits used in the last byte (0 = aligned)

  bit(value: number): void {
    if (this.bitPos === 0) this.bytes.push(0);
    if (value) this.bytes[this.bytes.length - 1]! |= 0x80 >> this.bitPos;
    this.bitPos = (this.bitPos + 1) & 7;
  }

  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((value >> i) & 1);
  }

  /** X.691 §10.5.7.1 / §11 "octet-aligned": pad with zero bits to the next octet. */
  align(): void {
    this.bitPos = 0;
  }

  octets(data: Uint8Array | number[]): void {
    this.align();
    for (const b of data) this.bytes.push(b & 0xff);
  }

  /** X.691 §11.9.3.6-8: unconstrained length determinant, aligned (1 or 2 octets; no fragmentation). */
  length(n: number): void {
    if (n < 0 || n >= 16384) throw new PerError(`length ${n} needs fragmentation`);
    this.align();
    if (n < 128) this.bytes.push(n);
    else this.bytes.push(0x80 | (n >> 8), n & 0xff);
  }

  /** X.691 §10.6: normally small non-negative whole number (used for extension enumeration indexes). */
  smallNumber(n: number): void {
    if (n < 64) {
      this.bit(0);
      this.bits(n, 6);
    } else {
      this.bit(1);
      this.length(1);
      this.octets([n]);
    }
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.bytes);
  }
}

export class BitReader {
  private pos = 0; // in bits
  constructor(private readonly buf: Uint8Array, private readonly end = buf.length) {}

  bit(): number {
    if (this.pos >= this.end * 8) throw new PerError("truncated");
    const b = (this.buf[this.pos >> 3]! >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return b;
  }

  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) v = (v << 1) | this.bit();
    return v;
  }

  align(): void {
    this.pos = (this.pos + 7) & ~7;
  }

  get offset(): number {
    return this.pos >> 3;
  }

  get remaining(): number {
    return this.end - ((this.pos + 7) >> 3);
  }

  octets(n: number): Uint8Array {
    this.align();
    const start = this.pos >> 3;
    if (start + n > this.end) throw new PerError("truncated octets");
    this.pos += n * 8;
    return this.buf.subarray(start, start + n);
  }

  length(): number {
    this.align();
    const first = this.octets(1)[0]!;
    if ((first & 0x80) === 0) return first;
    if ((first & 0x40) === 0) return ((first & 0x3f) << 8) | this.octets(1)[0]!;
    // X.691 §11.9.3.8: fragmented (16K multiples); T.38 packets never need it.
    throw new PerError("fragmented length");
  }

  smallNumber(): number {
    if (this.bit() === 0) return this.bits(6);
    const len = this.length();
    let v = 0;
    for (const b of this.octets(len)) v = v * 256 + b;
    return v;
  }
}
