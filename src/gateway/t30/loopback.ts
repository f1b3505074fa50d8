/**
 * Two T38Ports joined back to back in memory, for tests and for running our own sender against
 * our own receiver. Packets are delivered through the clock after `latencyMs`, so with a FakeClock
 * a whole call is deterministic. `filter` sees every packet and may drop or rewrite it (tests use
 * it to lose ECM frames or silence a side).
 */
import type { IfpPacket, T38Port } from "../t38/ifp-types.js";
import type { T30Clock } from "./clock.js";

export interface LoopbackOptions {
  clock: T30Clock;
  latencyMs?: number;
  /** Return null to drop the packet; `from` is "a" or "b". */
  filter?: (packet: IfpPacket, from: "a" | "b") => IfpPacket | null;
}

export function createLoopbackPair(options: LoopbackOptions): { a: T38Port; b: T38Port; log: { from: "a" | "b"; packet: IfpPacket }[] } {
  const handlers: { a: ((p: IfpPacket) => void)[]; b: ((p: IfpPacket) => void)[] } = { a: [], b: [] };
  const log: { from: "a" | "b"; packet: IfpPacket }[] = [];
  const latency = options.latencyMs ?? 10;
  const make = (self: "a" | "b"): T38Port => {
    const other = self === "a" ? "b" : "a";
    return {
      send(packet) {
        log.push({ from: self, packet });
        const delivered = options.filter ? options.filter(packet, self) : packet;
        if (!delivered) return;
        options.clock.setTimer(latency, () => {
          for (const h of handlers[other]) h(delivered);
        });
      },
      onPacket(handler) {
        handlers[self].push(handler);
      },
    };
  };
  return { a: make("a"), b: make("b"), log };
}
