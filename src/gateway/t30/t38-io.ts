/**
 * The T.30 engine's view of T.38 (T.38 (2010) §5-§7, Annex A): turns T.30 signals into IFP packets
 * with the timing of a real modem, and IFP packets back into T.30 signals.
 *
 * Sending: each transmission is a list of IFP packets, each with the time its signal lasts on a
 * real line. With pacing "realtime" the next packet waits that long (fast-modem data goes out in
 * chunks of `chunkMs`, as spandsp's t38_terminal does with its 30 ms chunks), because T.38 gateways
 * replay signals in real time and expect them at about line speed. With pacing "none" packets
 * follow each other at once (still through the clock, so nothing re-enters the engine).
 *
 * Receiving: HDLC frames arrive as hdlc-data fields closed by hdlc-fcs-OK/BAD (T.38 §7.4); their
 * octets are bit-reversed back into T.30 order (see frames.ts). Non-ECM data (TCF or a T.4 page)
 * is collected until t4-non-ecm-sig-end or the next no-signal.
 */
import { FAST_MODEMS, type IfpPacket, type T30Indicator, type T38DataField, type T38DataType, type T38Port } from "../t38/ifp-types.js";
import type { T30Clock, TimerHandle } from "./clock.js";
import { fromT38Octets, toT38Octets, type ModemRate } from "./frames.js";

export interface PacingOptions {
  mode: "realtime" | "none";
  /** Milliseconds of fast-modem data per data packet (default 30, like spandsp). */
  chunkMs?: number;
}

interface TxItem {
  /** Absent for a pause. */
  packet?: IfpPacket;
  /** How long the signal lasts on the line (ms); the next item waits for it when pacing. */
  ms: number;
}

/** T.30 §5.3.1: the V.21 preamble is 1 s ± 15 % of flags before the first frame. */
const V21_PREAMBLE_MS = 1000;
/** T.30 §5.3.2.4 (and §5.3.1): 75 ± 20 ms of silence between a received and a transmitted signal. */
export const TURNAROUND_MS = 75;
/** Training sequence lengths (V.17 long train, V.29, V.27 ter at 4800 and 2400). */
const TRAINING_MS: Record<string, number> = { v17: 1393, v29: 253, "v27-4800": 708, "v27-2400": 943 };
/** V.17 short training sequence (the same 142 ms spandsp's t38_terminal paces it with). */
const V17_SHORT_TRAINING_MS = 142;
/** T.38 Annex A indicators for the V.17 short train, by rate (FAST_MODEMS names the long ones). */
const V17_SHORT_TRAINING: Partial<Record<ModemRate["t38"], T30Indicator>> = {
  "v17-14400": "v17-14400-short-training",
  "v17-12000": "v17-12000-short-training",
  "v17-9600": "v17-9600-short-training",
  "v17-7200": "v17-7200-short-training",
};

/**
 * Which training precedes fast-modem data. V.17 has a short train for a receiver that has already
 * trained on a long one at the same rate; every other modem has a single training, so "short"
 * means the long one there.
 */
export type Training = "long" | "short";

export class T38Transmitter {
  private queue: { items: TxItem[]; done?: () => void }[] = [];
  private busy = false;
  private timer: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly port: T38Port,
    private readonly clock: T30Clock,
    private readonly pacing: PacingOptions,
  ) {}

  get chunkMs(): number {
    return this.pacing.chunkMs ?? 30;
  }

  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  /** Stops sending: what is queued is dropped (used when the session ends). */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.clock.clearTimer(this.timer);
  }

  /** Drops what is queued but not yet sent (used when a signal arrives that cancels our plans). */
  flush(): void {
    this.queue = [];
  }

  /** An indicator alone (CNG, CED) lasting `ms`. */
  indicator(indicator: "cng" | "ced" | "no-signal", ms: number, done?: () => void): void {
    this.enqueue([{ packet: { kind: "indicator", indicator }, ms }], done);
  }

  /** Silence before the next signal (no packet is sent). */
  pause(ms: number, done?: () => void): void {
    this.enqueue([], done, ms);
  }

  /**
   * One V.21 transmission carrying `frames` (T.30 bit order, without FCS), T.38 §7.4:
   * v21-preamble, then per frame hdlc-data + hdlc-fcs-OK, the last closed with
   * hdlc-fcs-OK-sig-end, then no-signal.
   */
  v21Frames(frames: Uint8Array[], done?: () => void): void {
    const items: TxItem[] = [{ packet: { kind: "indicator", indicator: "v21-preamble" }, ms: V21_PREAMBLE_MS }];
    frames.forEach((frame, i) => {
      items.push(...this.hdlcFrameItems("v21", frame, 300, i === frames.length - 1));
    });
    items.push({ packet: { kind: "indicator", indicator: "no-signal" }, ms: 0 });
    this.enqueue(items, done, TURNAROUND_MS);
  }

  /** ECM image frames on the fast modem (T.30 Annex A over T.38 §7.4), then no-signal. */
  fastHdlcFrames(rate: ModemRate, training: Training, frames: Uint8Array[], done?: () => void): void {
    const modem = FAST_MODEMS[rate.t38];
    const items: TxItem[] = [trainingItem(rate, training)];
    frames.forEach((frame, i) => items.push(...this.hdlcFrameItems(modem.data, frame, rate.bitRate, i === frames.length - 1)));
    items.push({ packet: { kind: "indicator", indicator: "no-signal" }, ms: 0 });
    this.enqueue(items, done, TURNAROUND_MS);
  }

  /**
   * Non-ECM data on the fast modem (TCF or a T.4 page): training, t4-non-ecm-data in chunks,
   * t4-non-ecm-sig-end, no-signal. `data` is already in T.38 octet order.
   */
  nonEcm(rate: ModemRate, training: Training, data: Uint8Array, done?: () => void): void {
    const modem = FAST_MODEMS[rate.t38];
    const items: TxItem[] = [trainingItem(rate, training)];
    const chunk = Math.max(1, Math.floor((rate.bitRate * this.chunkMs) / 8000));
    for (let at = 0; at < data.length; at += chunk) {
      const part = data.subarray(at, Math.min(data.length, at + chunk));
      items.push({
        packet: { kind: "data", dataType: modem.data, fields: [{ type: "t4-non-ecm-data", data: part.slice() }] },
        ms: (part.length * 8000) / rate.bitRate,
      });
    }
    items.push({ packet: { kind: "data", dataType: modem.data, fields: [{ type: "t4-non-ecm-sig-end" }] }, ms: 0 });
    items.push({ packet: { kind: "indicator", indicator: "no-signal" }, ms: 0 });
    this.enqueue(items, done, TURNAROUND_MS);
  }

  private hdlcFrameItems(dataType: T38DataType, frame: Uint8Array, bitRate: number, last: boolean): TxItem[] {
    // Two FCS octets and a closing flag follow the frame on the line (bit stuffing ignored).
    const ms = ((frame.length + 3) * 8000) / bitRate;
    const end: T38DataField = { type: last ? "hdlc-fcs-OK-sig-end" : "hdlc-fcs-OK" };
    return [
      { packet: { kind: "data", dataType, fields: [{ type: "hdlc-data", data: toT38Octets(frame) }] }, ms },
      { packet: { kind: "data", dataType, fields: [end] }, ms: 0 },
    ];
  }

  private enqueue(items: TxItem[], done?: () => void, leadMs = 0): void {
    if (this.closed) return;
    const all = leadMs > 0 ? [{ ms: leadMs }, ...items] : items;
    this.queue.push({ items: all, done });
    if (!this.busy) this.next();
  }

  private next(): void {
    const job = this.queue.shift();
    if (!job || this.closed) {
      this.busy = false;
      return;
    }
    this.busy = true;
    let i = 0;
    const step = (): void => {
      if (this.closed) return;
      // Send every item that needs no wait, then wait for the first one that does.
      while (i < job.items.length) {
        const item = job.items[i++]!;
        if (item.packet) this.port.send(item.packet);
        const wait = this.pacing.mode === "realtime" ? item.ms : 0;
        if (wait > 0) {
          this.timer = this.clock.setTimer(wait, step);
          return;
        }
      }
      this.timer = this.clock.setTimer(0, () => {
        job.done?.();
        this.next();
      });
    };
    this.timer = this.clock.setTimer(0, step);
  }
}

/** The training indicator (T.38 Annex A `T30-indicator`) and how long the training lasts on the line. */
function trainingItem(rate: ModemRate, training: Training): TxItem {
  const short = training === "short" ? V17_SHORT_TRAINING[rate.t38] : undefined;
  if (short) return { packet: { kind: "indicator", indicator: short }, ms: V17_SHORT_TRAINING_MS };
  const ms = TRAINING_MS[rate.modem === "v27ter" ? rate.t38 : rate.modem] ?? 0;
  return { packet: { kind: "indicator", indicator: FAST_MODEMS[rate.t38].training }, ms };
}

/** What the engine hears. */
export type RxSignal =
  | { kind: "indicator"; indicator: string }
  | { kind: "frame"; frame: Uint8Array; ok: boolean; fast: boolean }
  | { kind: "hdlc-end"; fast: boolean }
  | { kind: "non-ecm"; data: Uint8Array }
  | { kind: "non-ecm-end" };

/**
 * Reassembles IFP packets into signals. Tolerant, like spandsp's t38_terminal: HDLC data without a
 * preceding indicator, repeated sig-end fields, FCS fields carrying data (Cisco) and repeated
 * indicators are all accepted.
 */
export class T38Receiver {
  private hdlc: number[] = [];
  private lastIndicator = "";
  private nonEcmOpen = false;

  constructor(private readonly emit: (s: RxSignal) => void) {}

  receive(packet: IfpPacket): void {
    if (packet.kind === "indicator") {
      if (packet.indicator === this.lastIndicator) return; // a repeat (T.38 senders send indicators up to 3 times)
      this.lastIndicator = packet.indicator;
      if (packet.indicator === "no-signal" || packet.indicator.endsWith("training") || packet.indicator === "v21-preamble") {
        this.hdlc = [];
        if (this.nonEcmOpen) {
          this.nonEcmOpen = false;
          this.emit({ kind: "non-ecm-end" });
        }
      }
      this.emit({ kind: "indicator", indicator: packet.indicator });
      return;
    }
    const fast = packet.dataType !== "v21";
    for (const field of packet.fields) {
      this.lastIndicator = "";
      const data = field.data ?? new Uint8Array(0);
      switch (field.type) {
        case "hdlc-data":
          for (const b of fromT38Octets(data)) this.hdlc.push(b);
          if (this.hdlc.length > 4096) this.hdlc = []; // no T.30 frame is this long
          break;
        case "hdlc-fcs-OK":
        case "hdlc-fcs-BAD":
        case "hdlc-fcs-OK-sig-end":
        case "hdlc-fcs-BAD-sig-end": {
          for (const b of fromT38Octets(data)) this.hdlc.push(b);
          if (this.hdlc.length > 0) {
            const frame = Uint8Array.from(this.hdlc);
            this.hdlc = [];
            this.emit({ kind: "frame", frame, ok: field.type === "hdlc-fcs-OK" || field.type === "hdlc-fcs-OK-sig-end", fast });
          }
          if (field.type.endsWith("sig-end")) this.emit({ kind: "hdlc-end", fast });
          break;
        }
        case "hdlc-sig-end":
          this.hdlc = [];
          this.emit({ kind: "hdlc-end", fast });
          break;
        case "t4-non-ecm-data":
          this.nonEcmOpen = true;
          if (data.length > 0) this.emit({ kind: "non-ecm", data });
          break;
        case "t4-non-ecm-sig-end":
          if (data.length > 0) this.emit({ kind: "non-ecm", data });
          if (this.nonEcmOpen || data.length > 0) {
            this.nonEcmOpen = false;
            this.emit({ kind: "non-ecm-end" });
          }
          break;
      }
    }
  }
}
