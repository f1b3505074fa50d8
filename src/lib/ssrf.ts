/**
 * SSRF guard for URLs the platform fetches on a caller's behalf (document_url today, webhook
 * endpoints later). It refuses hosts that name this machine, a private network or a cloud
 * metadata service, in every spelling the WHATWG URL parser accepts.
 *
 * Address ranges: RFC 6890 (special-purpose address registries) and its IANA updates
 * (RFC 6598 shared address space, RFC 8215 local-use NAT64, RFC 6052 NAT64 well-known prefix,
 * RFC 3056 6to4). Names: RFC 6761 §6.3 (localhost), RFC 6762 (.local), RFC 8375 (home.arpa),
 * ICANN's 2024 reservation of .internal.
 *
 * Limits, on purpose: a public DNS name that resolves to a private address (DNS rebinding) is not
 * caught here, because a Worker has no resolver API. On Cloudflare's network `fetch` cannot reach
 * private addresses anyway; a self-hosted workerd should run with an egress policy as well.
 */

/** Why a URL was refused, in words fit for an API error's detail. */
export class ForbiddenUrlError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = "ForbiddenUrlError";
  }
}

export interface FetchableUrlOptions {
  /**
   * Local development only: allow loopback hosts (localhost, 127/8, ::1), over http or https, so a
   * developer can point at a server on their own machine. Every other host still needs https.
   */
  allowHttpLoopback?: boolean;
}

/** Parses a URL and throws ForbiddenUrlError unless it is safe to fetch. Returns the parsed URL. */
export function assertFetchableUrl(url: string | URL, options: FetchableUrlOptions = {}): URL {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    throw new ForbiddenUrlError("it is not an absolute URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new ForbiddenUrlError(`the ${parsed.protocol.replace(/:$/, "")} scheme is not allowed; use https`);
  }
  const loopbackAllowed = options.allowHttpLoopback === true && isLoopbackHost(parsed.hostname);
  if (loopbackAllowed) return parsed;
  // The host first: a private address is refused over https too, so "use https" would send the caller
  // the wrong way.
  const reason = forbiddenHostReason(parsed.hostname);
  if (reason !== null) throw new ForbiddenUrlError(reason);
  if (parsed.protocol !== "https:") {
    throw new ForbiddenUrlError(
      options.allowHttpLoopback === true ? "only https URLs are fetched (http only from loopback hosts, in local mode)" : "only https URLs are fetched",
    );
  }
  return parsed;
}

/** True when the host (a URL's hostname, with or without IPv6 brackets) must never be fetched. */
export function isForbiddenHost(hostname: string): boolean {
  return forbiddenHostReason(hostname) !== null;
}

/** The reason a host is refused, or null when it may be fetched. */
export function forbiddenHostReason(hostname: string): string | null {
  const host = normaliseHost(hostname);
  if (host === "") return "the URL has no host";

  if (host.includes(":")) {
    const v6 = parseIPv6(host);
    if (v6 === null) return `"${hostname}" is not a valid IPv6 address`;
    const why = forbiddenIPv6Reason(v6);
    return why === null ? null : `${hostname} is ${why}`;
  }

  const v4 = parseIPv4(host);
  if (v4 !== null) {
    const why = forbiddenIPv4Reason(v4);
    return why === null ? null : `${hostname} is ${why}`;
  }
  // Names made only of digits, dots and hex prefixes that still failed to parse are malformed
  // IPv4 (e.g. an octet over 255): the URL parser rejects them too, so do not guess.
  if (/^[0-9.]+$/.test(host) || /^(0x[0-9a-f]*\.?)+$/.test(host)) {
    return `"${hostname}" is not a valid IPv4 address`;
  }

  if (host === "localhost" || host.endsWith(".localhost")) return `${hostname} is this machine (RFC 6761)`;
  if (host === "metadata.google.internal" || host === "metadata" || host === "instance-data") {
    return `${hostname} is a cloud metadata service`;
  }
  if (host.endsWith(".internal")) return `${hostname} is a private (.internal) name`;
  if (host.endsWith(".local")) return `${hostname} is a link-local multicast DNS name (RFC 6762)`;
  if (host === "home.arpa" || host.endsWith(".home.arpa")) return `${hostname} is a home network name (RFC 8375)`;
  // A single-label name is completed by the resolver's search domains, i.e. it names an internal host.
  if (!host.includes(".")) return `${hostname} is not a fully qualified public host name`;
  return null;
}

function normaliseHost(hostname: string): string {
  let host = hostname.trim().toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  // A zone index (fe80::1%eth0) only exists for link-local addresses; the address decides.
  const zone = host.indexOf("%");
  if (zone >= 0 && host.includes(":")) host = host.slice(0, zone);
  // "localhost." and "localhost" are the same name (the root label is implied).
  if (host.endsWith(".") && !host.includes(":")) host = host.slice(0, -1);
  return host;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = normaliseHost(hostname);
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (host.includes(":")) {
    const v6 = parseIPv6(host);
    return v6 !== null && v6.slice(0, 7).every((w) => w === 0) && v6[7] === 1;
  }
  const v4 = parseIPv4(host);
  return v4 !== null && v4 >>> 24 === 127;
}

/**
 * IPv4 host parser of the WHATWG URL Standard (§3.5 "IPv4 parser"): one to four parts, each
 * decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes. So
 * "2130706433", "0x7f.1" and "0177.0.0.1" are all 127.0.0.1. Returns the address as an unsigned
 * 32-bit number, or null when the string is not an IPv4 address in any of those forms.
 */
export function parseIPv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    let digits = part;
    let radix = 10;
    if (/^0x/i.test(digits)) {
      digits = digits.slice(2);
      radix = 16;
      if (digits === "") {
        numbers.push(0);
        continue;
      }
    } else if (digits.length > 1 && digits.startsWith("0")) {
      digits = digits.slice(1);
      radix = 8;
    }
    const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
    if (!pattern.test(digits)) return null;
    const value = parseInt(digits, radix);
    if (!Number.isSafeInteger(value)) return null;
    numbers.push(value);
  }
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255)) return null;
  if (last >= 256 ** (4 - numbers.length)) return null;
  let address = last;
  numbers.forEach((n, i) => {
    address += n * 256 ** (3 - i);
  });
  return address >>> 0;
}

/** Parses an IPv6 address (RFC 4291 §2.2 text forms, incl. "::" and a dotted IPv4 tail) into 8 words. */
export function parseIPv6(host: string): number[] | null {
  let text = host;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(maybeV4)) return null;
    const octets = maybeV4.split(".").map(Number);
    if (octets.some((o) => o > 255)) return null;
    const [a, b, c, d] = octets as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parseWords = (s: string): number[] | null => {
    if (s === "") return [];
    const words: number[] = [];
    for (const w of s.split(":")) {
      if (!/^[0-9a-f]{1,4}$/i.test(w)) return null;
      words.push(parseInt(w, 16));
    }
    return words;
  };
  const head = parseWords(halves[0] ?? "");
  if (head === null) return null;
  const wanted = 8 - tail.length;
  if (halves.length === 1) {
    if (head.length !== wanted) return null;
    return [...head, ...tail];
  }
  const rest = parseWords(halves[1] ?? "");
  if (rest === null) return null;
  const zeros = wanted - head.length - rest.length;
  if (zeros < 1) return null;
  return [...head, ...new Array<number>(zeros).fill(0), ...rest, ...tail];
}

/** RFC 6890 §2.2.2 IPv4 special-purpose blocks that are not globally reachable, plus multicast. */
const IPV4_BLOCKS: ReadonlyArray<readonly [string, number, string]> = [
  ["0.0.0.0", 8, "an unspecified (\"this network\") address"],
  ["10.0.0.0", 8, "a private address (RFC 1918)"],
  ["100.64.0.0", 10, "a carrier-grade NAT address (RFC 6598)"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local address (cloud metadata lives here)"],
  ["172.16.0.0", 12, "a private address (RFC 1918)"],
  ["192.0.0.0", 24, "an IETF protocol assignment address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["192.88.99.0", 24, "a 6to4 relay anycast address"],
  ["192.168.0.0", 16, "a private address (RFC 1918)"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved or broadcast address"],
];

export function forbiddenIPv4Reason(address: number): string | null {
  for (const [base, prefix, why] of IPV4_BLOCKS) {
    const b = parseIPv4(base) as number;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((address & mask) >>> 0) === ((b & mask) >>> 0)) return why;
  }
  return null;
}

/** RFC 6890 §2.2.3 IPv6 blocks; forms that embed an IPv4 address are judged by that address. */
export function forbiddenIPv6Reason(w: number[]): string | null {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  const embedded = ((w6 << 16) | w7) >>> 0;
  const firstFiveZero = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  if (firstFiveZero && w5 === 0 && w6 === 0 && w7 === 0) return "the unspecified address";
  if (firstFiveZero && w5 === 0 && w6 === 0 && w7 === 1) return "a loopback address";
  // ::ffff:0:0/96 IPv4-mapped (RFC 4291 §2.5.5.2): the IPv4 address is what gets reached.
  if (firstFiveZero && w5 === 0xffff) return forbiddenIPv4Reason(embedded) ?? null;
  // ::/96 IPv4-compatible (deprecated by RFC 4291 §2.5.5.1): nothing public uses it.
  if (firstFiveZero && w5 === 0) return "a deprecated IPv4-compatible address";
  // 64:ff9b::/96 NAT64 (RFC 6052): judged by the IPv4 address it translates to.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return forbiddenIPv4Reason(embedded);
  }
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 1) return "a local-use NAT64 address (RFC 8215)";
  // 2002::/16 6to4 (RFC 3056): the IPv4 address sits in words 1 and 2.
  if (w0 === 0x2002) return forbiddenIPv4Reason(((w1 << 16) | w2) >>> 0);
  if (w0 === 0x100 && w1 === 0 && w2 === 0 && w3 === 0) return "a discard-only address (RFC 6666)";
  if (w0 === 0x2001 && w1 === 0xdb8) return "a documentation address";
  if ((w0 & 0xfe00) === 0xfc00) return "a unique local (private) address";
  if ((w0 & 0xffc0) === 0xfe80) return "a link-local address";
  if ((w0 & 0xffc0) === 0xfec0) return "a site-local address";
  if ((w0 & 0xff00) === 0xff00) return "a multicast address";
  return null;
}
