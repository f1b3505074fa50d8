// Hanging up a call we place: the ring timeout CANCELs an INVITE nobody answers (RFC 3261 §9.1,
// `fax.no_answer`), and an AbortSignal CANCELs before the answer or sends BYE after it (`fax.canceled`).
import { afterEach, describe, expect, it } from "vitest";
import { answerFaxes, sendFax, type FaxCallEvent } from "../../src/gateway/fax-call.js";
import { UserAgent } from "../../src/gateway/sip/ua.js";
import type { FaxPageImage } from "../../src/gateway/t30/index.js";

const TIMERS = { T1: 50, T2: 400, T4: 500 };
const page: FaxPageImage = { resolution: "standard", bitmap: { width: 1728, height: 40, data: new Uint8Array((1728 / 8) * 40) } };

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** A callee that rings (180) and never answers; records the CANCELs it gets. */
async function ringingCallee() {
  const ua = await UserAgent.create({ address: "127.0.0.1", timers: TIMERS });
  closers.push(() => ua.close());
  const seen = { invites: 0, cancels: 0 };
  ua.onInvite((inv) => {
    seen.invites++;
    inv.ringing();
    inv.onCancel(() => seen.cancels++);
  });
  return { ua, seen };
}

describe("sendFax ring timeout and abort", () => {
  it("CANCELs after the ring timeout and reports the 487 as fax.no_answer", async () => {
    const { ua, seen } = await ringingCallee();
    const events: string[] = [];
    const r = await sendFax({ to: `sip:5551000@127.0.0.1:${ua.port}`, pages: [page], ringTimeoutMs: 200, uaOptions: { timers: TIMERS }, onEvent: (e) => e.type === "sip" && events.push(e.state) });
    expect(r).toMatchObject({ success: false, failureCode: "fax.no_answer", sipStatus: 487, t30Result: "SIP 487 Request Terminated after ring timeout" });
    expect(events).toEqual(["calling", "ringing"]);
    expect(seen).toEqual({ invites: 1, cancels: 1 });
  });

  it("an abort before the answer CANCELs and reports fax.canceled with the reason", async () => {
    const { ua, seen } = await ringingCallee();
    const hangUp = new AbortController();
    const r = await sendFax({
      to: `sip:5551000@127.0.0.1:${ua.port}`,
      pages: [page],
      uaOptions: { timers: TIMERS },
      signal: hangUp.signal,
      onEvent: (e) => e.type === "sip" && e.state === "ringing" && hangUp.abort(new Error("the gateway shut down")),
    });
    expect(r).toMatchObject({ success: false, failureCode: "fax.canceled", sipStatus: 487 });
    expect(r.t30Result).toMatch(/^Aborted: the gateway shut down/);
    expect(seen.cancels).toBe(1);
  });

  it.each([
    ["during the T.38 switch", (e: FaxCallEvent) => e.type === "sip" && e.state === "answered"],
    ["during T.30", (e: FaxCallEvent) => e.type === "sip" && e.state === "t38"],
  ])("an abort after the answer (%s) sends BYE", async (_when, trigger) => {
    const hangups: string[] = [];
    let ended: () => void = () => undefined;
    const faxEnded = new Promise<void>((resolve) => (ended = resolve));
    const listener = await answerFaxes({ pacing: "none", reinviteAfterMs: 60_000, uaOptions: { timers: TIMERS }, onFax: () => ended(), onCallEvent: (_id, e) => e.type === "sip" && e.state === "hangup" && hangups.push(e.detail ?? "") });
    closers.push(() => listener.close());
    const hangUp = new AbortController();
    const r = await sendFax({
      to: `sip:5551000@127.0.0.1:${listener.port}`,
      pages: [page],
      pacing: "none",
      uaOptions: { timers: TIMERS },
      signal: hangUp.signal,
      onEvent: (e) => trigger(e) && hangUp.abort("operator hung up"),
    });
    expect(r).toMatchObject({ success: false, failureCode: "fax.canceled", pagesTransferred: 0 });
    expect(r.t30Result).toMatch(/operator hung up/);
    await faxEnded;
    expect(hangups).toEqual(["far end sent BYE"]);
  });
});
