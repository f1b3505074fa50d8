/**
 * The mode (test or live key) an event belongs to: its fax's or number's, or data.mode (account events carry
 * theirs, src/webhooks/account-events.ts); null when it concerns both modes. Event streams and webhook
 * endpoints receive only their own mode's events (README "Test and live data").
 */
import type { PlatformEvent } from "./catalog";

export function eventMode(event: PlatformEvent): "test" | "live" | null {
  for (const subject of [event.data.fax, event.data.number, event.data]) {
    const mode = (subject as { mode?: unknown } | undefined)?.mode;
    if (mode === "test" || mode === "live") return mode;
  }
  return null;
}
