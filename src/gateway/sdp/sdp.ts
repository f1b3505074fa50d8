/**
 * SDP (RFC 8866) parsing and serialisation, only as much as a fax gateway needs: the session's
 * c= line, and m= lines for audio (RTP/AVP PCMU/PCMA, RFC 3551) and T.38 (`m=image PORT udptl t38`,
 * ITU-T T.38 Annex D.2.3 / RFC 4612 attributes). Parsing never throws; it returns `null` for
 * something that is not an SDP body.
 */

export interface SdpAttribute {
  name: string;
  value?: string;
}

export interface SdpMedia {
  media: string; // "audio" | "image" | ...
  port: number;
  proto: string; // "RTP/AVP" | "udptl" | ...
  formats: string[];
  connection?: string; // media-level c= address
  attributes: SdpAttribute[];
}

export interface SessionDescription {
  origin: { username: string; sessionId: string; sessionVersion: string; address: string };
  sessionName: string;
  connection?: string; // session-level c= address (IN IP4)
  attributes: SdpAttribute[];
  media: SdpMedia[];
}

function parseConnection(value: string): string | undefined {
  // RFC 8866 §5.7: c=<nettype> <addrtype> <connection-address>
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== "IN") return undefined;
  return parts[2]!.split("/")[0];
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(":");
  return colon < 0 ? { name: value.trim() } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

export function parseSdp(text: string): SessionDescription | null {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0 || !lines[0]!.startsWith("v=")) return null;
  const sd: SessionDescription = {
    origin: { username: "-", sessionId: "0", sessionVersion: "0", address: "0.0.0.0" },
    sessionName: "-",
    attributes: [],
    media: [],
  };
  let current: SdpMedia | undefined;
  for (const line of lines) {
    if (line.length < 2 || line[1] !== "=") return null;
    const type = line[0];
    const value = line.slice(2);
    switch (type) {
      case "o": {
        const p = value.split(/\s+/);
        if (p.length >= 6) sd.origin = { username: p[0]!, sessionId: p[1]!, sessionVersion: p[2]!, address: p[5]! };
        break;
      }
      case "s":
        sd.sessionName = value;
        break;
      case "c": {
        const address = parseConnection(value);
        if (current) current.connection = address;
        else sd.connection = address;
        break;
      }
      case "m": {
        const p = value.trim().split(/\s+/);
        if (p.length < 3) return null;
        const port = Number.parseInt(p[1]!.split("/")[0]!, 10);
        if (!Number.isInteger(port) || port < 0 || port > 65535) return null;
        current = { media: p[0]!, port, proto: p[2]!, formats: p.slice(3), attributes: [] };
        sd.media.push(current);
        break;
      }
      case "a":
        (current ? current.attributes : sd.attributes).push(parseAttribute(value));
        break;
      default:
        break; // b=, t=, i=, k= ... are not needed for fax; RFC 8866 lets us ignore them.
    }
  }
  return sd;
}

export function serializeSdp(sd: SessionDescription): string {
  const out: string[] = [
    "v=0",
    `o=${sd.origin.username} ${sd.origin.sessionId} ${sd.origin.sessionVersion} IN IP4 ${sd.origin.address}`,
    `s=${sd.sessionName}`,
  ];
  if (sd.connection) out.push(`c=IN IP4 ${sd.connection}`);
  out.push("t=0 0");
  for (const a of sd.attributes) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);
  for (const m of sd.media) {
    out.push(`m=${m.media} ${m.port} ${m.proto} ${m.formats.join(" ")}`);
    if (m.connection) out.push(`c=IN IP4 ${m.connection}`);
    for (const a of m.attributes) out.push(a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);
  }
  return out.join("\r\n") + "\r\n";
}
