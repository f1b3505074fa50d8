// The gateway service with --register: the SIP listener registers with the trunk once it is up, a
// registrar that is down is retried (logged, never fatal), and stop() removes the binding.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/gateway/service/config.js";
import { createLogger } from "../../../src/lib/log.js";
import { startGatewayService } from "../../../src/gateway/service/service.js";
import { getHeader } from "../../../src/gateway/sip/message.js";
import { CREDS, registrar, type Registrar } from "../fake-registrar.js";
import { startFakeEdge, testConfig, until, type FakeEdge } from "./helpers.js";

let edge: FakeEdge;
let reg: Registrar;
beforeEach(async () => {
  edge = await startFakeEdge();
});
afterEach(async () => {
  reg?.close();
  await edge.close();
});

describe("gateway service REGISTER", () => {
  it("reads --register: the trunk is the registrar, the AOR defaults to the trunk user", () => {
    const env = { EDGE_URL: "http://127.0.0.1:8787", GATEWAY_SECRET: "s" };
    const c = loadConfig(["--register", "--trunk", "10.0.0.5:5060", "--trunk-user", "alice", "--trunk-password", "pw"], env);
    expect(c.register).toEqual({ aor: "sip:alice@10.0.0.5", expires: 3600 });
    expect(loadConfig(["--register", "--trunk", "10.0.0.5:5060", "--register-aor", "sip:+15550001@carrier.example", "--register-expires", "600"], env).register).toEqual({ aor: "sip:+15550001@carrier.example", expires: 600 });
    expect(() => loadConfig(["--register"], env)).toThrow(/needs --trunk/);
    expect(() => loadConfig(["--register", "--trunk", "10.0.0.5:5060"], env)).toThrow(ConfigError);
    expect(loadConfig([], env).register).toBe(false);
  });

  it("registers after the SIP listener starts, retries a registrar that is down, and unregisters on stop", async () => {
    reg = await registrar({ grant: 120, unavailableFirst: 2 });
    const lines: string[] = [];
    const config = testConfig(edge.url, {
      trunk: { address: "127.0.0.1", port: reg.port },
      trunkCredentials: CREDS,
      register: { aor: "sip:alice@example.com", expires: 3600 },
      routeCheck: false,
    });
    const service = await startGatewayService(config, { log: createLogger({ level: "info", write: (l) => lines.push(l) }), registerBackoffMs: [1] });
    try {
      await until("registered", () => lines.some((l) => l.includes('"msg":"registered"')));
      const failures = lines.filter((l) => l.includes("REGISTER failed")).map((l) => JSON.parse(l) as { status: number; level: string });
      expect(failures).toEqual([expect.objectContaining({ status: 503, level: "error" }), expect.objectContaining({ status: 503, level: "error" })]);
      const accepted = reg.requests.at(-1)!;
      expect(accepted.verified).toBe(true);
      expect(getHeader(accepted.req, "Contact")).toBe(`<sip:edgefax@127.0.0.1:${service.sipPort}>`);
      expect(JSON.parse(lines.find((l) => l.includes('"msg":"registered"'))!)).toMatchObject({ expires: 120, aor: "sip:alice@example.com" });
    } finally {
      await service.stop(0);
      config.cleanup();
    }
    const last = reg.requests.at(-1)!;
    expect(getHeader(last.req, "Expires")).toBe("0");
    expect(last.verified).toBe(true);
  });
});
