// REGISTER (RFC 3261 §10.2) against a small registrar over loopback UDP: digest challenge, the granted
// interval, the refresh before it lapses, the unregister on close, and failures as RegistrationError.
import { afterEach, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { UserAgent } from "../../src/gateway/sip/ua.js";
import { RegistrationError, refreshDelayMs } from "../../src/gateway/sip/register.js";
import { getHeader, parseCSeq } from "../../src/gateway/sip/message.js";
import { CREDS, registrar } from "./fake-registrar.js";

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function setup(opts: { grant?: number; refuse?: number } = {}) {
  const reg = await registrar(opts);
  const ua = await UserAgent.create({ address: "127.0.0.1", user: "alice", timers: { T1: 50, T2: 400, T4: 500 } });
  cleanup.push(() => ua.close(), () => reg.close());
  // The refresh timer is ours to fire: no test waits for wall-clock expiry.
  const scheduled: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  const schedule = (fn: () => void, ms: number) => {
    const s = { fn, ms, cancelled: false };
    scheduled.push(s);
    return { cancel: () => (s.cancelled = true) };
  };
  return { reg, ua, scheduled, schedule };
}

describe("SIP REGISTER", () => {
  it("answers the registrar's challenge, honours the granted expires, refreshes before it lapses and unregisters on close", async () => {
    const { reg, ua, scheduled, schedule } = await setup({ grant: 60 });
    const r = await ua.register({ registrar: `127.0.0.1:${reg.port}`, aor: "sip:alice@example.com", ...CREDS, expires: 3600, schedule });

    // 401, then the same REGISTER with a digest the registrar verifies (CSeq + 1, same Call-ID).
    expect(reg.requests.map((x) => x.verified)).toEqual([null, true]);
    const [first, second] = reg.requests.map((x) => x.req);
    expect(first!.uri).toBe("sip:example.com");
    expect(getHeader(first!, "To")).toBe("<sip:alice@example.com>");
    expect(getHeader(first!, "Contact")).toBe(`<sip:alice@127.0.0.1:${ua.port}>`);
    expect(getHeader(first!, "Expires")).toBe("3600");
    expect(getHeader(second!, "Call-ID")).toBe(getHeader(first!, "Call-ID"));
    expect(parseCSeq(getHeader(second!, "CSeq"))).toEqual({ seq: 2, method: "REGISTER" });

    // The Contact's ;expires=60 wins over the Expires header; the refresh is due before 60 s.
    expect(r.expires).toBe(60);
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.ms).toBe(refreshDelayMs(60));
    expect(scheduled[0]!.ms).toBeLessThan(60_000);
    expect(scheduled[0]!.ms).toBeGreaterThanOrEqual(48_000);

    scheduled[0]!.fn();
    await reg.received(4);
    await until(() => scheduled.length === 2);
    expect(reg.requests.slice(2).map((x) => x.verified)).toEqual([null, true]);
    expect(getHeader(reg.requests[3]!.req, "Call-ID")).toBe(getHeader(first!, "Call-ID"));
    expect(parseCSeq(getHeader(reg.requests[3]!.req, "CSeq"))!.seq).toBe(4);

    ua.close();
    await reg.received(5);
    const bye = reg.requests[4]!;
    expect(getHeader(bye.req, "Expires")).toBe("0");
    expect(getHeader(bye.req, "Contact")).toBe(`<sip:alice@127.0.0.1:${ua.port}>`);
    expect(bye.verified).toBe(true); // credentials for the last challenge, the next nonce count
    expect(scheduled[1]!.cancelled).toBe(true);
  });

  it("unregister() removes the binding through a full transaction", async () => {
    const { reg, ua, schedule } = await setup();
    const r = await ua.register({ registrar: `127.0.0.1:${reg.port}`, aor: "sip:alice@example.com", ...CREDS, schedule });
    await r.unregister();
    expect(r.expires).toBe(0);
    const last = reg.requests.at(-1)!;
    expect(getHeader(last.req, "Expires")).toBe("0");
    expect(last.verified).toBe(true);
    const count = reg.requests.length;
    ua.close();
    await new Promise((res) => setTimeout(res, 50));
    expect(reg.requests).toHaveLength(count); // nothing more to remove on close
  });

  it("rejects with a RegistrationError carrying the status: wrong password, refusal, no registrar", async () => {
    const { reg, ua, schedule } = await setup({ refuse: 403 });
    const refused = await ua.register({ registrar: `127.0.0.1:${reg.port}`, aor: "sip:alice@example.com", ...CREDS, schedule }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RegistrationError);
    expect(refused).toMatchObject({ status: 403, aor: "sip:alice@example.com" });

    const wrong = await setup();
    const bad = await wrong.ua.register({ registrar: `127.0.0.1:${wrong.reg.port}`, aor: "sip:alice@example.com", username: "alice", password: "nope", schedule }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ name: "RegistrationError", status: 403 });
    expect(wrong.reg.requests.map((x) => x.verified)).toEqual([null, false]);

    const noAuth = await setup();
    const unauth = await noAuth.ua.register({ registrar: `127.0.0.1:${noAuth.reg.port}`, aor: "sip:alice@example.com", schedule }).catch((e: unknown) => e);
    expect(unauth).toMatchObject({ status: 401 });

    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    cleanup.push(() => silent.close());
    const lost = await ua.register({ registrar: `127.0.0.1:${silent.address().port}`, aor: "sip:alice@example.com", ...CREDS, schedule }).catch((e: unknown) => e);
    expect(lost).toMatchObject({ status: 408 }); // Timer F (§17.1.2.2)
  });
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((res) => setImmediate(res));
}
