// A whole fax call over real UDP on 127.0.0.1: our caller (sendFax) against our answerer (answerFaxes):
// SIP + SDP + UDPTL with redundancy + T.30, modem pacing off so it runs in milliseconds.
import { describe, expect, it } from "vitest";
import { answerFaxes, sendFax, type FaxCallResult } from "../../src/gateway/fax-call.js";
import { UserAgent } from "../../src/gateway/sip/ua.js";
import { buildOffer, readAnswer } from "../../src/gateway/sdp/offer-answer.js";
import type { FaxPageImage } from "../../src/gateway/t30/index.js";

function page(seed: number): FaxPageImage {
  const width = 1728;
  const height = 300;
  const stride = width / 8;
  const data = new Uint8Array(stride * height);
  for (let y = 20; y < height - 20; y += 12) for (let x = 100 + ((y * seed) % 37); x < 1500; x += 23) for (let dy = 0; dy < 6; dy++) data[(y + dy) * stride + (x >> 3)]! |= 0xf0 >> (x & 3);
  return { resolution: "standard", bitmap: { width, height, data } };
}

async function call(opts: { t38Offer: "invite" | "reinvite"; loss?: number; ecm?: boolean }): Promise<{ sent: FaxCallResult; received: FaxCallResult }> {
  let resolve: (f: FaxCallResult) => void = () => undefined;
  const received = new Promise<FaxCallResult>((r) => (resolve = r));
  const listener = await answerFaxes({ pacing: "none", onFax: resolve, ...(opts.loss ? { udptlTxLoss: opts.loss, udptlRxLoss: opts.loss } : {}), ...(opts.ecm === false ? { ecm: false } : {}) });
  try {
    const sent = await sendFax({ to: `sip:5551000@127.0.0.1:${listener.port}`, pages: [page(1), page(2)], pacing: "none", t38Offer: opts.t38Offer, ...(opts.ecm === false ? { ecm: false } : {}) });
    return { sent, received: await received };
  } finally {
    listener.close();
  }
}

describe("fax call over loopback UDP", () => {
  it.each(["invite", "reinvite"] as const)("delivers pixel-identical pages with T.38 offered by %s", async (t38Offer) => {
    const { sent, received } = await call({ t38Offer });
    expect(sent).toMatchObject({ success: true, pagesTransferred: 2, failureCode: null });
    expect(sent.t38?.agreed).toMatchObject({ version: 0, rateManagement: "transferredTCF", udpEc: "t38UDPRedundancy" });
    expect(received.pages.map((p) => Buffer.from(p.bitmap.data))).toEqual([page(1), page(2)].map((p) => Buffer.from(p.bitmap.data)));
  });

  it("recovers 5% UDPTL loss each way from redundancy (non-ECM pages still pixel-identical)", async () => {
    const { sent, received } = await call({ t38Offer: "invite", loss: 0.05, ecm: false });
    expect(sent.success).toBe(true);
    expect(received.udptl?.recovered).toBeGreaterThan(0);
    expect(received.pages.map((p) => Buffer.from(p.bitmap.data))).toEqual([page(1), page(2)].map((p) => Buffer.from(p.bitmap.data)));
  });

  it("a T.38-only answerer refuses an audio INVITE with 488, which the caller reports as fax.t38_refused", async () => {
    const listener = await answerFaxes({ audioOnly: "reject", onFax: () => undefined });
    try {
      const r = await sendFax({ to: `sip:1@127.0.0.1:${listener.port}`, pages: [page(1)], t38Offer: "reinvite" });
      expect(r).toMatchObject({ success: false, failureCode: "fax.t38_refused", sipStatus: 488 });
    } finally {
      listener.close();
    }
  });

  it("answers 488 to a re-INVITE without T.38 and 200 with T.38 parameters to one with it", async () => {
    const listener = await answerFaxes({ reinviteAfterMs: 60_000, onFax: () => undefined });
    const caller = await UserAgent.create({ address: "127.0.0.1" });
    try {
      const audio = buildOffer({ address: "127.0.0.1", sessionId: "1", sessionVersion: 1, kind: "audio", port: 40000 });
      const r = await caller.invite({ target: `sip:1@127.0.0.1:${listener.port}`, sdp: audio }).result;
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(readAnswer(r.response.body)).toMatchObject({ kind: "audio", port: expect.any(Number) });
      expect((await r.dialog.reinvite(buildOffer({ address: "127.0.0.1", sessionId: "1", sessionVersion: 2, kind: "audio", port: 40000 }))).status).toBe(488);
      const t38 = await r.dialog.reinvite(buildOffer({ address: "127.0.0.1", sessionId: "1", sessionVersion: 3, kind: "t38", port: 40002 }));
      expect(t38.status).toBe(200);
      expect(readAnswer(t38.body)).toMatchObject({ kind: "t38", t38: { agreed: { rateManagement: "transferredTCF" } } });
      await r.dialog.bye();
    } finally {
      caller.close();
      listener.close();
    }
  });
});
