/** Our sender against our receiver over an in-memory T38Port pair on a FakeClock. */
import type { IfpPacket } from "../../../src/gateway/t38/ifp-types.js";
import { FakeClock, createLoopbackPair, startT30Session, type T30Event, type T30Options, type T30Outcome } from "../../../src/gateway/t30/index.js";
import { fromT38Octets, parseFrame, type T30Frame } from "../../../src/gateway/t30/frames.js";
import { loadCodecCoder } from "../../../src/gateway/t30/page-coding.js";

export type Side = Omit<T30Options, "port" | "clock">;

export interface PairResult {
  sender: T30Outcome;
  receiver: T30Outcome;
  clock: FakeClock;
  log: { from: "a" | "b"; packet: IfpPacket }[];
  events: { a: T30Event[]; b: T30Event[] };
  /** T.30 frames each side sent, by name, in order. */
  frames: (from: "a" | "b") => string[];
}

/** Control frames in a packet (HDLC data fields closed by an FCS field are whole frames here, as the transmitter sends them). */
export function framesOf(packet: IfpPacket): T30Frame[] {
  if (packet.kind !== "data") return [];
  const out: T30Frame[] = [];
  for (const f of packet.fields) {
    if (f.type === "hdlc-data" && f.data) {
      const frame = parseFrame(fromT38Octets(f.data));
      if (frame) out.push(frame);
    }
  }
  return out;
}

/**
 * Runs side "a" (port a) against side "b". `filter` may drop (null) or replace packets.
 * Returns once both outcomes are in.
 */
export async function runPair(
  a: Side,
  b: Side,
  opts: { filter?: (p: IfpPacket, from: "a" | "b") => IfpPacket | null; latencyMs?: number; maxSteps?: number } = {},
): Promise<PairResult> {
  const clock = new FakeClock({ maxSteps: opts.maxSteps ?? 200_000 });
  const pair = createLoopbackPair({ clock, latencyMs: opts.latencyMs ?? 20, filter: opts.filter });
  const coder = await loadCodecCoder();
  const events: PairResult["events"] = { a: [], b: [] };
  const sa = startT30Session({ coder, ...a, port: pair.a, clock, onEvent: (e) => events.a.push(e) });
  const sb = startT30Session({ coder, ...b, port: pair.b, clock, onEvent: (e) => events.b.push(e) });
  // If time stops (no timer left) or the step budget runs out while a side is still waiting, end it:
  // the test then sees an aborted outcome instead of hanging.
  let settled = 0;
  void sa.outcome.then(() => settled++);
  void sb.outcome.then(() => settled++);
  const maxSteps = opts.maxSteps ?? 200_000;
  await new Promise<void>((resolve) => {
    let idle = 0;
    const watch = () => {
      if (settled === 2) return resolve();
      idle = clock.pending === 0 ? idle + 1 : 0;
      if (idle >= 3 || clock.steps >= maxSteps) {
        sa.abort("stalled");
        sb.abort("stalled");
        return resolve();
      }
      setTimeout(watch, 1);
    };
    setTimeout(watch, 1);
  });
  const [oa, ob] = await Promise.all([sa.outcome, sb.outcome]);
  const senderIsA = a.role === "sender";
  return {
    sender: senderIsA ? oa : ob,
    receiver: senderIsA ? ob : oa,
    clock,
    log: pair.log,
    events,
    frames: (from) => pair.log.filter((l) => l.from === from).flatMap((l) => framesOf(l.packet).map((f) => f.name)),
  };
}
