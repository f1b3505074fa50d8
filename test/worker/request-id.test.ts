import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/api/app";
import { createLogger, LOG_ID_KEYS } from "../../src/lib/log";
import { api, createTestAccount } from "./helpers";

const GENERATED = /^req_[0-9a-hjkmnp-tv-z]{26}$/;

describe("Request-Id", () => {
  afterEach(() => vi.restoreAllMocks());

  it("is set on a success", async () => {
    const account = await createTestAccount();
    const res = await api("/v1/faxes", { key: account.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).toMatch(GENERATED);
  });

  it("is set on a 404, and the problem body carries it", async () => {
    const res = await api("/nothing-here");
    expect(res.status).toBe(404);
    const id = res.headers.get("request-id");
    expect(id).toMatch(GENERATED);
    const body = (await res.json()) as { request_id: string };
    expect(body.request_id).toBe(id);
  });

  it("is in a 4xx problem body equal to the header", async () => {
    const res = await api("/v1/faxes");
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { code: string; request_id: string };
    expect(body.code).toBe("auth.missing");
    expect(body.request_id).toBe(res.headers.get("request-id"));
    expect(body.request_id).toMatch(GENERATED);
  });

  it("is set on a 500, which logs one error line with it", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const app = createApp();
    app.get("/boom", () => {
      throw new Error("kaboom");
    });
    const res = await app.fetch(new Request("https://fax.test/boom", { headers: { "request-id": "edge-42" } }), env, createExecutionContext());
    expect(res.status).toBe(500);
    expect(res.headers.get("request-id")).toBe("edge-42");
    const body = (await res.json()) as { code: string; request_id: string };
    expect(body).toMatchObject({ code: "internal", request_id: "edge-42" });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "unhandled error");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "error", request_id: "edge-42", path: "/boom", error: "Error: kaboom" });
  });

  it("echoes a well-formed incoming id", async () => {
    const res = await api("/health", { headers: { "Request-Id": "lb-01.eu:7f3a_9-x" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("request-id")).toBe("lb-01.eu:7f3a_9-x");
  });

  it("replaces a malformed or overlong incoming id", async () => {
    for (const bad of ["has space", "semi;colon", "x".repeat(129), "a/b"]) {
      const res = await api("/health", { headers: { "Request-Id": bad } });
      expect(res.headers.get("request-id")).toMatch(GENERATED);
    }
    const empty = await api("/health", { headers: { "Request-Id": "" } });
    expect(empty.headers.get("request-id")).toMatch(GENERATED);
  });
});

describe("the logger", () => {
  it("writes one JSON line a call, with the fixed keys, at or above its level", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (line) => lines.push(line) });
    const child = logger.child({ request_id: "req_1" }).child({ account_id: "acct_1" });
    child.debug("not written", { fax_id: "fax_1" });
    child.info("fax queued", { fax_id: "fax_1", attempt_id: "att_1", extra: undefined });
    child.error("failed", { delivery_id: "whd_1", error: "boom" });
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.endsWith("\n")).toBe(true);
      expect(line.slice(0, -1)).not.toContain("\n");
    }
    const [info, error] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(info!)).toEqual(["time", "level", "msg", "request_id", "account_id", "fax_id", "attempt_id"]);
    expect(info).toMatchObject({ level: "info", msg: "fax queued", request_id: "req_1", account_id: "acct_1", fax_id: "fax_1", attempt_id: "att_1" });
    expect(error).toMatchObject({ level: "error", msg: "failed", delivery_id: "whd_1", request_id: "req_1", error: "boom" });
    expect(new Date(info!.time as string).toISOString()).toBe(info!.time);
  });

  it("names ids only under the fixed keys", () => {
    expect(LOG_ID_KEYS).toEqual(
      expect.arrayContaining(["fax_id", "account_id", "request_id", "attempt_id", "delivery_id", "event_id", "endpoint_id"]),
    );
  });
});
