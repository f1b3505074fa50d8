/**
 * RFC 3264 offer/answer for a T.38-only fax endpoint.
 *
 * We offer either audio (PCMU/PCMA, so a carrier that expects a voice call first is satisfied, and we
 * then switch with a re-INVITE, T.38 Annex D.2.2) or `m=image udptl t38` directly. As answerer we take a
 * T.38 stream when one is offered and refuse every other stream with port 0 (RFC 3264 §6); where
 * T.38 is required and absent the caller answers SIP 488 (RFC 3261 §21.4.26).
 */
import { parseSdp, serializeSdp, type SdpAttribute, type SdpMedia, type SessionDescription } from "./sdp.js";

/** T.38 session parameters, T.38 Annex D.2.3 / RFC 4612 names. */
export interface T38Params {
  version: number; // T38FaxVersion
  maxBitRate: number; // T38MaxBitRate
  rateManagement: "transferredTCF" | "localTCF"; // T38FaxRateManagement
  maxBuffer?: number; // T38FaxMaxBuffer
  maxDatagram?: number; // T38FaxMaxDatagram
  udpEc: "t38UDPRedundancy" | "t38UDPFEC" | "none"; // T38FaxUdpEC
  fillBitRemoval?: boolean;
  transcodingMMR?: boolean;
  transcodingJBIG?: boolean;
}

export const DEFAULT_T38_PARAMS: T38Params = {
  version: 0,
  maxBitRate: 14400,
  rateManagement: "transferredTCF",
  maxBuffer: 1800,
  maxDatagram: 400,
  udpEc: "t38UDPRedundancy",
};

/** The audio formats we offer for the voice leg before the switch: PCMU and PCMA (RFC 3551 §6). */
const AUDIO_FORMATS = [
  { pt: "0", rtpmap: "PCMU/8000" },
  { pt: "8", rtpmap: "PCMA/8000" },
];

export function t38Attributes(p: T38Params): SdpAttribute[] {
  const a: SdpAttribute[] = [
    { name: "T38FaxVersion", value: String(p.version) },
    { name: "T38MaxBitRate", value: String(p.maxBitRate) },
  ];
  if (p.fillBitRemoval) a.push({ name: "T38FaxFillBitRemoval" });
  if (p.transcodingMMR) a.push({ name: "T38FaxTranscodingMMR" });
  if (p.transcodingJBIG) a.push({ name: "T38FaxTranscodingJBIG" });
  a.push({ name: "T38FaxRateManagement", value: p.rateManagement });
  if (p.maxBuffer !== undefined) a.push({ name: "T38FaxMaxBuffer", value: String(p.maxBuffer) });
  if (p.maxDatagram !== undefined) a.push({ name: "T38FaxMaxDatagram", value: String(p.maxDatagram) });
  a.push({ name: "T38FaxUdpEC", value: p.udpEc });
  return a;
}

function intAttr(attrs: SdpAttribute[], name: string): number | undefined {
  const a = attrs.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!a?.value) return undefined;
  const n = Number.parseInt(a.value, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function flagAttr(attrs: SdpAttribute[], name: string): boolean {
  // RFC 4612 §2: a boolean is present-means-true, or ":1"/":0" in older implementations.
  const a = attrs.find((x) => x.name.toLowerCase() === name.toLowerCase());
  return !!a && a.value !== "0";
}

/** Read T.38 parameters from an `m=image` stream; missing ones take T.38 Annex D defaults. */
export function readT38Params(m: SdpMedia): T38Params {
  const ec = m.attributes.find((x) => x.name.toLowerCase() === "t38faxudpec")?.value;
  const rm = m.attributes.find((x) => x.name.toLowerCase() === "t38faxratemanagement")?.value;
  const p: T38Params = {
    version: intAttr(m.attributes, "T38FaxVersion") ?? 0,
    maxBitRate: intAttr(m.attributes, "T38MaxBitRate") ?? 14400,
    rateManagement: rm?.toLowerCase() === "localtcf" ? "localTCF" : "transferredTCF",
    udpEc: ec?.toLowerCase() === "t38udpfec" ? "t38UDPFEC" : ec?.toLowerCase() === "t38udpredundancy" ? "t38UDPRedundancy" : "none",
    fillBitRemoval: flagAttr(m.attributes, "T38FaxFillBitRemoval"),
    transcodingMMR: flagAttr(m.attributes, "T38FaxTranscodingMMR"),
    transcodingJBIG: flagAttr(m.attributes, "T38FaxTranscodingJBIG"),
  };
  const maxBuffer = intAttr(m.attributes, "T38FaxMaxBuffer");
  const maxDatagram = intAttr(m.attributes, "T38FaxMaxDatagram");
  if (maxBuffer !== undefined) p.maxBuffer = maxBuffer;
  if (maxDatagram !== undefined) p.maxDatagram = maxDatagram;
  return p;
}

export function isT38Stream(m: SdpMedia): boolean {
  return m.media === "image" && m.proto.toLowerCase() === "udptl" && m.formats.includes("t38") && m.port !== 0;
}

export interface OfferOptions {
  address: string;
  sessionId: string;
  sessionVersion: number;
  /** "audio": the voice leg before a re-INVITE; "t38": m=image only. */
  kind: "audio" | "t38";
  port: number;
  t38?: T38Params;
}

export function buildOffer(o: OfferOptions): string {
  const media: SdpMedia =
    o.kind === "audio"
      ? {
          media: "audio",
          port: o.port,
          proto: "RTP/AVP",
          formats: AUDIO_FORMATS.map((f) => f.pt),
          attributes: [...AUDIO_FORMATS.map((f) => ({ name: "rtpmap", value: `${f.pt} ${f.rtpmap}` })), { name: "sendrecv" }],
        }
      : { media: "image", port: o.port, proto: "udptl", formats: ["t38"], attributes: t38Attributes(o.t38 ?? DEFAULT_T38_PARAMS) };
  return serializeSdp({
    origin: { username: "edgefax", sessionId: o.sessionId, sessionVersion: String(o.sessionVersion), address: o.address },
    sessionName: "edgefax",
    connection: o.address,
    attributes: [],
    media: [media],
  });
}

/** What the far end's SDP tells us about where to send T.38, after offer/answer. */
export interface NegotiatedT38 {
  address: string;
  port: number;
  /** The far end's parameters (its T38FaxMaxDatagram limits what we send). */
  remote: T38Params;
  /** The parameters both sides now use (version, bit rate, error correction). */
  agreed: T38Params;
}

export type AnswerResult =
  | { kind: "t38"; sdp: string; t38: NegotiatedT38 }
  | { kind: "audio"; sdp: string; address: string; port: number }
  | { kind: "reject"; status: 488 | 400; reason: string };

export interface AnswerOptions {
  address: string;
  sessionId: string;
  sessionVersion: number;
  t38Port: number;
  audioPort: number;
  local?: T38Params;
  /** Refuse an offer with no T.38 stream (a re-INVITE, or when we cannot go through an audio leg). */
  requireT38: boolean;
}

/** Agree T.38 parameters: never more than either side offers (RFC 4612 §2.2, T.38 Annex D.2.3). */
export function agreeT38(remote: T38Params, local: T38Params): T38Params {
  const agreed: T38Params = {
    version: Math.min(remote.version, local.version),
    maxBitRate: Math.min(remote.maxBitRate, local.maxBitRate),
    // Over UDP only transferredTCF is meaningful (T.38 §7.4 / Annex D): localTCF is for TCP.
    rateManagement: "transferredTCF",
    udpEc: remote.udpEc === "none" ? "none" : "t38UDPRedundancy",
  };
  if (local.maxBuffer !== undefined) agreed.maxBuffer = local.maxBuffer;
  if (local.maxDatagram !== undefined) agreed.maxDatagram = local.maxDatagram;
  return agreed;
}

export function answerOffer(offerText: string, o: AnswerOptions): AnswerResult {
  const offer = parseSdp(offerText);
  if (!offer || offer.media.length === 0) return { kind: "reject", status: 400, reason: "Malformed SDP" };
  const local = o.local ?? DEFAULT_T38_PARAMS;
  const t38Index = offer.media.findIndex(isT38Stream);
  const audioIndex = offer.media.findIndex(
    (m) => m.media === "audio" && m.port !== 0 && m.proto.startsWith("RTP/") && m.formats.some((f) => f === "0" || f === "8"),
  );
  const chosen = t38Index >= 0 ? t38Index : o.requireT38 ? -1 : audioIndex;
  if (chosen < 0) {
    return { kind: "reject", status: 488, reason: o.requireT38 ? "T.38 required" : "No acceptable media" };
  }
  const streams: SdpMedia[] = offer.media.map((m, i) => {
    if (i !== chosen) return { media: m.media, port: 0, proto: m.proto, formats: m.formats, attributes: [] };
    if (i === t38Index) {
      return { media: "image", port: o.t38Port, proto: m.proto, formats: ["t38"], attributes: t38Attributes(agreeT38(readT38Params(m), local)) };
    }
    const pt = m.formats.includes("0") ? "0" : "8";
    const map = pt === "0" ? "PCMU/8000" : "PCMA/8000";
    return { media: "audio", port: o.audioPort, proto: m.proto, formats: [pt], attributes: [{ name: "rtpmap", value: `${pt} ${map}` }, { name: "sendrecv" }] };
  });
  const sdp = serializeSdp({
    origin: { username: "edgefax", sessionId: o.sessionId, sessionVersion: String(o.sessionVersion), address: o.address },
    sessionName: "edgefax",
    connection: o.address,
    attributes: [],
    media: streams,
  });
  const m = offer.media[chosen]!;
  const address = m.connection ?? offer.connection;
  if (!address) return { kind: "reject", status: 400, reason: "SDP without connection address" };
  if (chosen === t38Index) {
    const remote = readT38Params(m);
    return { kind: "t38", sdp, t38: { address, port: m.port, remote, agreed: agreeT38(remote, local) } };
  }
  return { kind: "audio", sdp, address, port: m.port };
}

/** Read the far end's answer to our offer. */
export function readAnswer(answerText: string, local: T38Params = DEFAULT_T38_PARAMS):
  | { kind: "t38"; t38: NegotiatedT38 }
  | { kind: "audio"; address: string; port: number }
  | { kind: "none" } {
  const sd: SessionDescription | null = parseSdp(answerText);
  if (!sd) return { kind: "none" };
  const t38 = sd.media.find(isT38Stream);
  if (t38) {
    const address = t38.connection ?? sd.connection;
    if (!address) return { kind: "none" };
    const remote = readT38Params(t38);
    return { kind: "t38", t38: { address, port: t38.port, remote, agreed: agreeT38(remote, local) } };
  }
  const audio = sd.media.find((m) => m.media === "audio" && m.port !== 0);
  const address = audio?.connection ?? sd.connection;
  if (audio && address) return { kind: "audio", address, port: audio.port };
  return { kind: "none" };
}
