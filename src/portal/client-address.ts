/**
 * What the sessions page shows of where a browser signed in from: the client's address cut to a network
 * prefix (IPv4 /24, IPv6 /48), enough to tell "my office" from "somewhere else" without keeping whole
 * addresses of people. Anything that is not an IP address gives null.
 */
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4Prefix(ip: string): string | null {
  const m = IPV4.exec(ip);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return `${octets.slice(0, 3).join(".")}.0/24`;
}

/** The first three 16-bit groups of an IPv6 address (RFC 4291 §2.2 text forms, `::` allowed once). */
function ipv6Prefix(ip: string): string | null {
  if (ip.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(ip)) return null;
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  // Only the address's very last group may be an embedded IPv4 address (::ffff:192.0.2.1); it counts as two.
  const end = halves.length === 2 ? tail : head;
  const v4Tail = end.length > 0 && end[end.length - 1]!.includes(".");
  if (v4Tail && !ipv4Prefix(end.pop()!)) return null;
  const hex = [...head, ...tail];
  if (hex.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return null;
  const count = hex.length + (v4Tail ? 2 : 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const full = halves.length === 2 ? [...head, ...Array<string>(8 - count).fill("0"), ...tail] : head;
  return `${full
    .slice(0, 3)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/48`;
}

export function ipPrefix(ip: string | null | undefined): string | null {
  if (!ip) return null;
  const trimmed = ip.trim();
  return ipv4Prefix(trimmed) ?? ipv6Prefix(trimmed);
}
